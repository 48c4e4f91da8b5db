namespace EventStream.Parsing;

/// <summary>
/// The body of an Events API response, or an event's JSON, is not what the API documents:
/// malformed or truncated JSON, a missing <c>data</c> array, or an event without a required field.
/// </summary>
/// <remarks>The client treats this as transient and retries the request; it surfaces only when retries run out.</remarks>
public sealed class EventPageFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventPageFormatException() : this("The events page is malformed.") { }

    /// <summary>Creates the exception with a message.</summary>
    public EventPageFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and the error that caused it.</summary>
    public EventPageFormatException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with the position in the body where reading stopped.</summary>
    public EventPageFormatException(string message, long bytePosition, Exception? innerException = null)
        : base($"{message} (at byte {bytePosition.ToString(System.Globalization.CultureInfo.InvariantCulture)})", innerException)
        => BytePosition = bytePosition;

    /// <summary>The offset in the body at which reading stopped, when known.</summary>
    public long? BytePosition { get; }

    /// <summary>The <c>x-amzn-RequestId</c> of the response that carried the body, when it came over HTTP.</summary>
    public string? RequestId { get; init; }
}
