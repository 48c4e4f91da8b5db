using Microsoft.Extensions.Logging;

namespace EventStream.Webhooks;

/// <summary>How a <see cref="WebhookForwarder"/> delivers: routes, retry schedule, timeouts, dead letters.</summary>
public sealed class WebhookForwarderOptions
{
    /// <summary>The retry schedule of the Standard Webhooks spec's example: at once, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h.</summary>
    public static readonly IReadOnlyList<TimeSpan> DefaultRetrySchedule =
    [
        TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10),
    ];

    /// <summary>The routes (at least one; names unique).</summary>
    public IReadOnlyList<WebhookRoute> Routes { get; set; } = [];

    /// <summary>
    /// The delay before each attempt: the first entry before the first attempt (normally zero), and so on; after the last
    /// attempt fails, the event is dead-lettered. Each delay is spread by <see cref="Jitter"/>; a later <c>Retry-After</c> wins.
    /// </summary>
    /// <value><see cref="DefaultRetrySchedule"/>: 7 attempts over about 17.5 hours.</value>
    public IReadOnlyList<TimeSpan> RetrySchedule { get; set; } = DefaultRetrySchedule;

    /// <summary>How far a retry delay is spread either way, as a fraction of it (0 to 1).</summary>
    /// <value>0.2 by default (±20%).</value>
    public double Jitter { get; set; } = 0.2;

    /// <summary>How long one attempt may take, response headers included, before it counts as failed (and is retried).</summary>
    /// <value>15 seconds by default.</value>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Where undeliverable events go.</summary>
    /// <value>By default an <see cref="NdjsonDeadLetterStore"/> on <see cref="DeadLetterPath"/>.</value>
    public IWebhookDeadLetterStore? DeadLetters { get; set; }

    /// <summary>The NDJSON file of the default dead-letter store.</summary>
    /// <value><c>webhook-dead-letters.ndjson</c> in the current directory by default.</value>
    public string DeadLetterPath { get; set; } = "webhook-dead-letters.ndjson";

    /// <summary>
    /// A file for the events routes still hold (retrying, or queued behind a retrying one) when the checkpoint should pass
    /// them: after <see cref="ParkAfter"/> of a route holding it back, and on stop. They are written there first, then
    /// the checkpoint is saved; a forwarder started with the same file delivers them first (each on its route, its
    /// attempts so far counted), then reads on from the checkpoint. Without it (the default) the checkpoint waits for
    /// every event to be delivered or dead-lettered, so a restart while a route retries repeats everything since.
    /// </summary>
    /// <value><see langword="null"/> by default; <c>eventstream forward --checkpoint FILE</c> uses <c>FILE.pending.ndjson</c>.</value>
    public string? PendingPath { get; set; }

    /// <summary>How long a route's retries may hold the checkpoint back before its events go to <see cref="PendingPath"/>.</summary>
    /// <value>1 minute by default.</value>
    public TimeSpan ParkAfter { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>On stop, how long deliveries in flight may take to finish before they are abandoned (and repeated after restart).</summary>
    /// <value>10 seconds by default.</value>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Retry episodes, recoveries, disabled routes and dead letters, one line each.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>The clock for retry delays, timeouts, timestamps and latency.</summary>
    /// <value><see cref="TimeProvider.System"/> by default.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        Require(Routes is { Count: > 0 }, nameof(Routes), "must hold at least one route");
        foreach (WebhookRoute route in Routes!)
        {
            Require(route is not null, nameof(Routes), "must not hold null");
            route!.Validate();
        }

        Require(Routes.GroupBy(r => r.Name, StringComparer.Ordinal).All(g => g.Count() == 1), nameof(Routes), "must have unique names");
        Require(RetrySchedule is { Count: > 0 } && RetrySchedule.All(d => d >= TimeSpan.Zero && d <= TimeSpan.FromDays(7)), nameof(RetrySchedule), "must hold at least one delay, each between 0 and 7 days");
        Require(Jitter is >= 0 and <= 1, nameof(Jitter), "must be between 0 and 1");
        Require(AttemptTimeout > TimeSpan.Zero && AttemptTimeout <= TimeSpan.FromMinutes(10), nameof(AttemptTimeout), "must be between 0 and 10 minutes");
        Require(DeadLetters is not null || !string.IsNullOrWhiteSpace(DeadLetterPath), nameof(DeadLetterPath), "is required when DeadLetters is not set");
        Require(DrainTimeout >= TimeSpan.Zero, nameof(DrainTimeout), "must not be negative");
        Require(PendingPath is null || !string.IsNullOrWhiteSpace(PendingPath), nameof(PendingPath), "must be a file name when set");
        Require(ParkAfter > TimeSpan.Zero, nameof(ParkAfter), "must be positive");
        Require(TimeProvider is not null, nameof(TimeProvider), "is required");
    }

    private static void Require(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {rule}.", name);
        }
    }
}
