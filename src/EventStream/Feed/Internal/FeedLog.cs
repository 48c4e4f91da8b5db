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

    [LoggerMessage(107, LogLevel.Error, "the feed stopped for good: its {Consumer} threw on event {EventId} (attempts: {Attempts}); the checkpoint stays before that event, so a restart delivers it first")]
    public static partial void ConsumerFaulted(ILogger logger, Exception? exception, string? consumer, string? eventId, int attempts);

    [LoggerMessage(109, LogLevel.Warning, "{Consumer} threw on event {EventId} (attempt {Attempt}): {Reason}; handing it again in {DelaySeconds:0.0} s")]
    public static partial void ConsumerRetrying(ILogger logger, string consumer, string eventId, int attempt, string reason, double delaySeconds);

    [LoggerMessage(110, LogLevel.Warning, "{Consumer} threw on event {EventId} (attempts: {Attempts}): {Reason}; reported to OnDeadLetter and skipped")]
    public static partial void DeadLettered(ILogger logger, string consumer, string eventId, int attempts, string reason);

    [LoggerMessage(111, LogLevel.Warning, "an {Consumer} threw from OnError/OnCompleted; the others were told")]
    public static partial void ObserverThrewOnEnd(ILogger logger, Exception exception, string consumer);

    [LoggerMessage(112, LogLevel.Information, "delivery is waiting on a slow {Consumer} (event {EventId}, {Seconds:0.0} s so far); every consumer and polling wait with it")]
    public static partial void StallStarted(ILogger logger, string consumer, string eventId, double seconds);

    [LoggerMessage(113, LogLevel.Warning, "delivery waited {Seconds:0.0} s on a slow {Consumer} (event {EventId}); every consumer and polling waited with it")]
    public static partial void StallEnded(ILogger logger, double seconds, string consumer, string eventId);
}
