using EventStream.Api;
using EventStream.Feed;
using Microsoft.Extensions.Logging;

namespace EventStream.Nats;

/// <summary>How a <see cref="NatsRelay"/> publishes and shares its feeds.</summary>
public sealed class NatsRelayOptions
{
    /// <summary>The JetStream stream the events go to (created, or updated, at start).</summary>
    /// <value>Default <c>INTILERY</c>.</value>
    public string StreamName { get; set; } = "INTILERY";

    /// <summary>The first subject token: events are published on <c>{prefix}.{client}.{account}.{brand}.{eventAction}</c>.</summary>
    /// <value>Default <c>intilery</c>.</value>
    public string SubjectPrefix { get; set; } = "intilery";

    /// <summary>The key-value buckets are <c>{prefix}-checkpoints</c>, <c>{prefix}-leases</c> and <c>{prefix}-members</c>.</summary>
    /// <value>Default <c>eventstream</c>.</value>
    public string BucketPrefix { get; set; } = "eventstream";

    /// <summary>
    /// How long a feed's lease lasts without renewal (the leases bucket's age limit): a relay that dies loses its feeds
    /// after this, and the survivors take them over. A relay renews every quarter of it and stops a feed it could not
    /// renew within two thirds of it, so two relays never publish one feed for long.
    /// </summary>
    /// <value>Default 10 seconds.</value>
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The stream's duplicate window: a message whose <c>Nats-Msg-Id</c> (the eventId) was published within it is
    /// dropped by the server. It must cover what a restart repeats: events since the last checkpoint (saved every
    /// 5 seconds and every 500 events) plus the time to take over (<see cref="LeaseTime"/>).
    /// </summary>
    /// <value>Default 5 minutes.</value>
    public TimeSpan DuplicateWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>This relay's name among the others (in the members and leases buckets, and in logs).</summary>
    /// <value>Default: machine name, process id and a random suffix.</value>
    public string InstanceId { get; set; } = $"{Environment.MachineName}-{Environment.ProcessId}-{Random.Shared.Next(0x10000):x4}";

    /// <summary>The API's base URL for feeds that do not give one.</summary>
    public Uri BaseUrl { get; set; } = EventsApiOptions.DefaultBaseUrl;

    /// <summary>Events published before their acknowledgements are awaited (and the feed's checkpoint may advance).</summary>
    /// <value>Default 500.</value>
    public int MaxBatchSize { get; set; } = 500;

    /// <summary>Anything else for each feed's API client (e.g. <c>AllowInsecureHttp</c>), applied last.</summary>
    public Action<EventsApiOptions>? ConfigureApi { get; set; }

    /// <summary>Anything else for each feed (e.g. <c>MaxLateness</c>), applied last.</summary>
    public Action<FeedOptions>? ConfigureFeed { get; set; }

    /// <summary>Where the relay says what it does (acquired, released, lost, retrying).</summary>
    public ILogger? Logger { get; set; }

    /// <summary>The clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public void Validate()
    {
        Require(IsToken(StreamName) && !StreamName.Contains('.', StringComparison.Ordinal), nameof(StreamName), "must be a stream name (letters, digits, - and _)");
        Require(IsToken(SubjectPrefix), nameof(SubjectPrefix), "must be one subject token (letters, digits, - and _)");
        Require(IsToken(BucketPrefix), nameof(BucketPrefix), "must be letters, digits, - and _");
        Require(LeaseTime >= TimeSpan.FromSeconds(1), nameof(LeaseTime), "must be at least 1 second");
        Require(DuplicateWindow >= LeaseTime, nameof(DuplicateWindow), "must be at least LeaseTime");
        Require(!string.IsNullOrWhiteSpace(InstanceId), nameof(InstanceId), "is required");
        Require(MaxBatchSize >= 1, nameof(MaxBatchSize), "must be at least 1");
        Require(BaseUrl is not null, nameof(BaseUrl), "is required");
        Require(TimeProvider is not null, nameof(TimeProvider), "is required");
    }

    internal string Bucket(string name) => $"{BucketPrefix}-{name}";

    private static bool IsToken(string? value) => !string.IsNullOrEmpty(value) && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static void Require(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {rule}.", name);
        }
    }
}
