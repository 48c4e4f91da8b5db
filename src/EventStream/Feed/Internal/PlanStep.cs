using EventStream.Api;

namespace EventStream.Feed.Internal;

/// <summary>A moment on the feed's clocks: the local monotonic timestamp and the local wall clock, read once.</summary>
internal readonly record struct FeedInstant(long Timestamp, DateTimeOffset UtcNow)
{
    public static FeedInstant Now(TimeProvider time) => new(time.GetTimestamp(), time.GetUtcNow());
}

/// <summary>Which part of the feed a fetch is for; the page goes back to it.</summary>
internal enum FetchPurpose
{
    /// <summary>The read of the latest events a start from the latest N (or Now) makes.</summary>
    Start,

    /// <summary>The head scan.</summary>
    Head,

    /// <summary>A pass of the settle sweep.</summary>
    Sweep,
}

/// <summary>What the planner wants done next.</summary>
internal enum PlanKind
{
    /// <summary>Fetch <see cref="PlanStep.Query"/> and hand the page back with <see cref="FeedPlanner.Apply"/>.</summary>
    Fetch,

    /// <summary>Nothing to do for <see cref="PlanStep.Delay"/> (zero: ask again at once).</summary>
    Wait,

    /// <summary>Everything asked for has been delivered.</summary>
    Complete,
}

/// <summary>The planner's answer to <see cref="FeedPlanner.Next"/>: fetch a query for a purpose, wait, or complete.</summary>
internal readonly record struct PlanStep(PlanKind Kind, FetchPurpose Purpose, EventsQuery? Query, PageWindow Window, TimeSpan Delay)
{
    public static PlanStep Fetch(FetchPurpose purpose, EventsQuery query, PageWindow window) => new(PlanKind.Fetch, purpose, query, window, TimeSpan.Zero);

    public static PlanStep Wait(TimeSpan delay) => new(PlanKind.Wait, default, null, default, delay);

    public static readonly PlanStep Complete = new(PlanKind.Complete, default, null, default, TimeSpan.Zero);
}
