using Microsoft.Extensions.Logging;

namespace EventStream.Feed.Internal;

// What a feed says while it runs unattended. Never the auth token: reasons come from EventsApiException, which redacts it.
internal static partial class FeedLog
{
    [LoggerMessage(101, LogLevel.Warning, "retrying: {Reason}; next attempt at {NextAttempt:HH:mm:ss} (in {DelaySeconds:0.0} s)")]
    public static partial void RetryStarted(ILogger logger, string reason, DateTimeOffset nextAttempt, double delaySeconds);

    [LoggerMessage(102, LogLevel.Warning, "still failing after {Attempts} attempts: {Reason}; next attempt at {NextAttempt:HH:mm:ss} (in {DelaySeconds:0.0} s)")]
    public static partial void StillRetrying(ILogger logger, int attempts, string reason, DateTimeOffset nextAttempt, double delaySeconds);

    [LoggerMessage(103, LogLevel.Information, "recovered after {Attempts} failed attempts over {Seconds:0.0} s")]
    public static partial void Recovered(ILogger logger, int attempts, double seconds);

    [LoggerMessage(104, LogLevel.Warning, "{Event}")]
    public static partial void Unreadable(ILogger logger, UnreadableEvent @event);

    [LoggerMessage(105, LogLevel.Warning, "checkpoint not saved ({Reason}); the previous checkpoint is kept; delivery goes on; next try in {DelaySeconds:0} s")]
    public static partial void CheckpointFailed(ILogger logger, string reason, double delaySeconds);

    [LoggerMessage(106, LogLevel.Information, "checkpoint saved again after {Failures} failed saves")]
    public static partial void CheckpointRecovered(ILogger logger, long failures);
}
