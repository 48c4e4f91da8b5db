namespace EventStream.Parsing;

/// <summary>
/// The body of an Events API response, or an event's JSON, is not what the API documents:
/// malformed or truncated JSON, a missing <c>data</c> array, or an event without a required field.
/// </summary>
/// <remarks>
/// The client treats a malformed body as transient and retries the request; when every attempt returns a body that cannot
/// be read, this exception ends the feed, with the <see cref="RequestId"/> of the last response and the <see cref="BytePosition"/>
/// where reading stopped. An event that is well-formed JSON but lacks what every event has (an object with <c>eventId</c>,
/// <c>eventAction</c> and an ISO 8601 <c>eventTime</c>) does not stop a feed: it is reported and skipped
/// (<see cref="Feed.FeedOptions.OnUnreadableEvent"/>), and the rest of its page is delivered.
/// </remarks>
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

    /// <summary>This error as seen in the response with <paramref name="requestId"/> (named in the message too).</summary>
    internal EventPageFormatException WithRequestId(string? requestId)
        => requestId is null || RequestId is not null ? this : new EventPageFormatException($"{Message}, in the response with request id {requestId}", BytePosition, this) { RequestId = requestId };

    private EventPageFormatException(string message, long? bytePosition, Exception? innerException)
        : base(message, innerException) => BytePosition = bytePosition;

    /// <summary>Only one event is unreadable; the page's JSON is well formed around it.</summary>
    internal bool IsEventLevel { get; init; }
}
