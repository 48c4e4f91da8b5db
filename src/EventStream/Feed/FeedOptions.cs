using EventStream.Checkpoints;

namespace EventStream.Feed;

/// <summary>What a feed reads and how: filters, start, lateness, pacing, checkpoints.</summary>
/// <remarks>Validated when the feed is created; each error names the option.</remarks>
public sealed class FeedOptions
{
    /// <summary>Event actions to include, sent to the server (<c>include</c>); empty for all.</summary>
    public IReadOnlyList<string> Include { get; set; } = [];

    /// <summary>Event actions to exclude, sent to the server (<c>exclude</c>).</summary>
    public IReadOnlyList<string> Exclude { get; set; } = [];

    /// <summary>Where to start when the checkpoint store holds nothing.</summary>
    /// <value>Default <see cref="FeedStart.Now"/>.</value>
    public FeedStart Start { get; set; } = FeedStart.Now;

    /// <summary>Stop (complete) once every event before this time has been delivered.</summary>
    /// <value>Default none: the feed runs until disposed.</value>
    public DateTimeOffset? Until { get; set; }

    /// <summary>
    /// The most an event may lag (receivedTime − eventTime, index delay included) and still be delivered: every such
    /// event is delivered exactly once. Larger values delay the detection of late events, not the delivery of others.
    /// </summary>
    /// <value>Default 30 seconds.</value>
    public TimeSpan MaxLateness { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How far behind the server's clock the head reads: an event becomes visible to queries a little after its eventTime
    /// (its lag to receipt, then indexing), so an event in the last instant before a poll may not be there yet; a head
    /// that read up to the newest event would pass it, and the settle sweep would find it — late, after MaxLateness. The
    /// head reads no event newer than this, so every event that lags less than it comes through the head, in order, at
    /// the cost of this much more delay. Zero: read up to the newest (the sweep still finds, late, what the head passed).
    /// </summary>
    /// <value>Default 500 milliseconds.</value>
    public TimeSpan HoldBack { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How long to wait between polls once the feed has caught up.</summary>
    /// <value>Default 1 second.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Events per request, 1 to 100.</summary>
    /// <value>Default 100.</value>
    public int PageSize { get; set; } = 100;

    /// <summary>How many events may wait between the poller and the slowest consumer before polling pauses.</summary>
    /// <value>Default 1,000.</value>
    public int BufferCapacity { get; set; } = 1_000;

    /// <summary>A hard bound on the ids kept for dedupe (normally they are bounded by time: about MaxLateness of events).</summary>
    /// <value>Default 1,000,000.</value>
    public int DedupeCapacity { get; set; } = 1_000_000;

    /// <summary>Where the feed's position is saved; a saved position is resumed on start.</summary>
    /// <value>Default: a new <see cref="InMemoryCheckpointStore"/>.</value>
    public ICheckpointStore? CheckpointStore { get; set; }

    /// <summary>How often the position is saved while running (it is always saved when the feed stops).</summary>
    /// <value>Default 5 seconds.</value>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The most events a crash (kill -9, power loss) may deliver again: the position is saved by count as well as by time,
    /// in the background once half this many events have been taken since the last save, and a consumer that gets this far
    /// ahead of the saved position waits for the save. So a process that crashes every few seconds still advances.
    /// Applies to durable stores (not <see cref="InMemoryCheckpointStore"/>, which does not outlive the process); while
    /// saves fail, delivery goes on and the bound is suspended (see <see cref="FeedCounters.CheckpointSaveFailures"/>).
    /// </summary>
    /// <value>Default 1,000.</value>
    public int CheckpointAfterEvents { get; set; } = 1_000;

    /// <summary>The longest wait between attempts while the API keeps failing transiently.</summary>
    /// <value>Default 30 seconds.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The catalog that decodes planned events into their typed classes (e.g. <see cref="Typed.IntileryEvents.Catalog"/>, or a
    /// <c>[TrackingPlan]</c> class's <c>Catalog</c>), so that <c>feed.OfType&lt;ShopEvents.OrderCompleted&gt;()</c> and pattern
    /// matching work. Unplanned events are still delivered, untyped.
    /// </summary>
    /// <value>Default: <see langword="null"/> (every event is an untyped <see cref="Parsing.IntileryEvent"/>).</value>
    public Typed.EventCatalog? Catalog { get; set; }

    /// <summary>
    /// Called (on the poller's thread) for each event skipped because it could not be read (see <see cref="UnreadableEvent"/>);
    /// each is also counted in <see cref="FeedCounters.UnreadableEvents"/> and logged at Warning. An event is reported
    /// once, even when its page is read again.
    /// </summary>
    /// <value>Default: none (counted and logged only).</value>
    public Action<UnreadableEvent>? OnUnreadableEvent { get; set; }

    /// <summary>
    /// How many more times an event is handed to an observer whose <c>OnNext</c> threw on it (waiting
    /// <see cref="ConsumerRetryDelay"/>, doubling up to <see cref="MaxRetryDelay"/>, between attempts; every other
    /// consumer waits meanwhile). When they are used up the feed faults with a <see cref="ConsumerFaultException"/>, or,
    /// with <see cref="OnDeadLetter"/> set, reports the event there and goes on.
    /// </summary>
    /// <value>Default 0: the first exception decides.</value>
    public int ConsumerRetries { get; set; }

    /// <summary>The wait before the first retry of an event a consumer threw on; it doubles with each retry.</summary>
    /// <value>Default 1 second.</value>
    public TimeSpan ConsumerRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Report-and-skip instead of fault: called (on the delivery thread) with an event an observer still threw on after
    /// <see cref="ConsumerRetries"/>, which is then counted as taken by that observer, counted in
    /// <see cref="FeedCounters.DeadLettered"/> and logged at Warning; the feed goes on. An exception from this handler
    /// faults the feed.
    /// </summary>
    /// <value>Default: none — a consumer that throws faults the feed (<see cref="ConsumerFaultException"/>).</value>
    public Action<DeadLetter>? OnDeadLetter { get; set; }

    /// <summary>
    /// How long delivery may wait on one consumer (an observer inside <c>OnNext</c>, a reader with a full buffer) before the
    /// feed reports a stall: <see cref="FeedStatus.Stall"/> says which kind of consumer and since when, the health check
    /// says Degraded, and a Warning with its duration is logged when it ends.
    /// </summary>
    /// <value>Default 5 seconds.</value>
    public TimeSpan StallThreshold { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where the feed logs retries, recoveries, unreadable events and checkpoint failures (never the token).</summary>
    /// <value>Default: the client's <see cref="Api.EventsApiOptions.Logger"/>, if any.</value>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; set; }

    /// <summary>The clock for polling, retries and checkpoints.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        new Api.EventsQuery { Include = Include ?? [], Exclude = Exclude ?? [] }.Validate();
        Require(Start is not null, nameof(Start), "is required");
        Require(MaxLateness >= TimeSpan.Zero, nameof(MaxLateness), "must not be negative");
        Require(PollInterval > TimeSpan.Zero, nameof(PollInterval), "must be positive");
        Require(HoldBack >= TimeSpan.Zero && HoldBack <= TimeSpan.FromMinutes(1), nameof(HoldBack), "must be between 0 and 1 minute");
        Require(PageSize is >= 1 and <= Api.EventsQuery.MaxSize, nameof(PageSize), "must be between 1 and 100");
        Require(BufferCapacity >= 1, nameof(BufferCapacity), "must be at least 1");
        Require(DedupeCapacity >= 1_000, nameof(DedupeCapacity), "must be at least 1,000");
        Require(CheckpointInterval > TimeSpan.Zero, nameof(CheckpointInterval), "must be positive");
        Require(CheckpointAfterEvents >= 2, nameof(CheckpointAfterEvents), "must be at least 2");
        Require(MaxRetryDelay > TimeSpan.Zero, nameof(MaxRetryDelay), "must be positive");
        Require(ConsumerRetries >= 0, nameof(ConsumerRetries), "must not be negative");
        Require(ConsumerRetryDelay > TimeSpan.Zero, nameof(ConsumerRetryDelay), "must be positive");
        Require(StallThreshold > TimeSpan.Zero, nameof(StallThreshold), "must be positive");
        Require(TimeProvider is not null, nameof(TimeProvider), "is required");
        Require(!(Until is { } until && Start is FeedStart.AtStart at && until <= at.Time), nameof(Until), "must be after the start time");
    }

    internal FeedOptions Clone() => (FeedOptions)MemberwiseClone();

    private static void Require(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {rule}.", name);
        }
    }
}
