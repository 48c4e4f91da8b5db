using Microsoft.Extensions.Logging;

namespace EventStream.Webhooks.Internal;

/// <summary>The forwarder's log lines: one per retry episode and per recovery, per disabled route, per dead letter.</summary>
internal static partial class WebhookLog
{
    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Webhook route {Route}: delivery failing ({Failure}); retrying event {EventId} in {DelaySeconds:F1} s (attempt {Attempt} of {Attempts}); further failures are not logged until it recovers")]
    public static partial void Failing(ILogger logger, string route, string failure, string eventId, double delaySeconds, int attempt, int attempts);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Webhook route {Route}: delivering again after {Failures} failed attempts over {Seconds:F1} s")]
    public static partial void Recovered(ILogger logger, string route, long failures, double seconds);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Webhook route {Route} disabled: {Endpoint} answered 410 Gone; its events are dead-lettered until the forwarder restarts")]
    public static partial void Disabled(ILogger logger, string route, string endpoint);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Warning, Message = "Webhook route {Route}: event {EventId} dead-lettered ({Reason}; last {Last}; {Attempts} attempts)")]
    public static partial void DeadLettered(ILogger logger, string route, string eventId, string reason, string last, int attempts);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Webhook route {Route}: queue full ({Capacity} events); new events are dead-lettered until it has room")]
    public static partial void QueueFullDeadLettering(ILogger logger, string route, int capacity);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Error, Message = "Webhook route {Route}: cannot write a dead letter ({Error}); trying again in 5 s (the checkpoint stays before the event)")]
    public static partial void DeadLetterFailed(ILogger logger, string route, string error);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Information, Message = "Webhooks: {Count} events the routes still hold are kept in {Path}, so the checkpoint moves past them; a restart delivers them first")]
    public static partial void Parked(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "Webhooks: {Count} events kept in {Path} by the last run are delivered first")]
    public static partial void Restored(ILogger logger, int count, string path);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Warning, Message = "Webhooks: cannot save the checkpoint ({Error}); trying again with the next acknowledgement")]
    public static partial void CheckpointFailed(ILogger logger, string error);
}
