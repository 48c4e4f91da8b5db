using System.Net;

namespace EventStream.Api;

/// <summary>
/// The Events API answered with an error, or could not be reached after the retries allowed.
/// Carries the HTTP status, the API's error code and message, and the <c>x-amzn-RequestId</c>. Never the token.
/// </summary>
public sealed class EventsApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EventsApiException() : this("The Events API request failed.") { }

    /// <summary>Creates the exception with a message.</summary>
    public EventsApiException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and cause.</summary>
    public EventsApiException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception from an error response.</summary>
    /// <param name="statusCode">The HTTP status, or <see langword="null"/> when no response arrived.</param>
    /// <param name="errorCode">The API's error code (e.g. <c>authentication_error</c>).</param>
    /// <param name="apiMessage">The API's error message.</param>
    /// <param name="requestId">The response's <c>x-amzn-RequestId</c>.</param>
    /// <param name="innerException">The cause, if any.</param>
    public EventsApiException(HttpStatusCode? statusCode, string? errorCode, string? apiMessage, string? requestId, Exception? innerException = null)
        : base(Describe(statusCode, errorCode, apiMessage, requestId), innerException)
    {
        StatusCode = statusCode;
        ErrorCode = errorCode;
        ApiMessage = apiMessage;
        RequestId = requestId;
        IsTransient = statusCode is null || IsTransientStatus(statusCode.Value);
    }

    /// <summary>The HTTP status, or <see langword="null"/> when no response arrived (timeout, connection error).</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>The API's error code, e.g. <c>authentication_error</c>, when the body carried one.</summary>
    public string? ErrorCode { get; }

    /// <summary>The API's error message, when the body carried one.</summary>
    public string? ApiMessage { get; }

    /// <summary>The response's <c>x-amzn-RequestId</c>, when there was a response.</summary>
    public string? RequestId { get; }

    /// <summary>The delay the server asked for with <c>Retry-After</c>, when it did.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Whether retrying the same request may succeed (5xx, 408, 429, timeouts, connection errors, bad bodies).</summary>
    public bool IsTransient { get; init; }

    /// <summary>Whether a status is worth retrying: 408, 429 and 5xx.</summary>
    /// <param name="status">The HTTP status.</param>
    /// <returns><see langword="true"/> when transient.</returns>
    public static bool IsTransientStatus(HttpStatusCode status)
        => status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    private static string Describe(HttpStatusCode? status, string? code, string? message, string? requestId)
    {
        string head = status is { } s ? $"HTTP {(int)s} ({s})" : "no response";
        string body = (code, message) switch
        {
            (null, null) => "",
            (null, _) => $": {message}",
            (_, null) => $": {code}",
            _ => $": {code}: {message}",
        };
        return $"Events API request failed with {head}{body} [request id: {requestId ?? "none"}]";
    }
}
