using System.Net;
using Microsoft.Extensions.Logging;

namespace EventStream.Api.Internal;

// Log lines never carry the auth token: only status, error code, request id and timings.
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Events API attempt {Attempt} failed ({Status} {ErrorCode}, request id {RequestId}); retrying in {Delay}")]
    public static partial void Retrying(ILogger logger, int attempt, HttpStatusCode? status, string? errorCode, string? requestId, TimeSpan delay);

    [LoggerMessage(2, LogLevel.Error, "Events API request failed ({Status} {ErrorCode}, request id {RequestId}): {ApiMessage}")]
    public static partial void Failed(ILogger logger, HttpStatusCode? status, string? errorCode, string? requestId, string? apiMessage);
}
