using Microsoft.Extensions.Logging;

namespace EventStream.Nats;

/// <summary>What a relay says (never a token: feeds print as client/account/brand).</summary>
internal static partial class RelayLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Relay {Instance} started: {Feeds} feeds, stream {Stream}, lease {Lease}")]
    public static partial void Started(ILogger logger, string instance, int feeds, string stream, TimeSpan lease);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Relay {Instance}: could not renew or take leases ({Reason}) for {Failing:F1} s; retrying every {Every:F2} s")]
    public static partial void LeasesFailing(ILogger logger, string instance, string reason, double failing, double every);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Relay {Instance} stopped: published {Published} events ({Duplicates} duplicates dropped by the server)")]
    public static partial void Stopped(ILogger logger, string instance, long published, long duplicates);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Relay {Instance} took {Feed}")]
    public static partial void Took(ILogger logger, string instance, RelayFeed feed);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Relay {Instance} lost {Feed}: {Reason}")]
    public static partial void Lost(ILogger logger, string instance, RelayFeed feed, string reason);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Relay {Instance} released {Feed} ({Reason})")]
    public static partial void Released(ILogger logger, string instance, RelayFeed feed, string reason);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Warning, Message = "Relay {Instance}: {Feed} ended: {Reason}")]
    public static partial void FeedEnded(ILogger logger, string instance, RelayFeed feed, string reason);

    [LoggerMessage(EventId = 3010, Level = LogLevel.Warning, Message = "Relay {Instance}: the checkpoint of {Feed} was saved elsewhere while this relay held the lease (a save sent before another relay's lease lapsed, delivered late); going on from that checkpoint")]
    public static partial void CheckpointOvertaken(ILogger logger, string instance, RelayFeed feed);

    [LoggerMessage(EventId = 3009, Level = LogLevel.Information, Message = "Relay {Instance}: leases renewed again after {Failing:F1} s of failures")]
    public static partial void LeasesRecovered(ILogger logger, string instance, double failing);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Relay {Instance}: publishing {Count} events of {Feed} failed ({Reason}); attempt {Attempt}, retrying in {Delay}")]
    public static partial void PublishRetrying(ILogger logger, string instance, int count, RelayFeed feed, string reason, int attempt, TimeSpan delay);
}
