using EventStream.Parsing;

namespace EventStream.Feed.Internal;

/// <summary>The engine's position after a step: what a checkpoint records once consumers have taken the step's events.</summary>
/// <param name="Cursor">The head's cursor: the newest event time it has read past (null before the first page).</param>
/// <param name="SweepPosition">Where the settle sweep has reached.</param>
/// <param name="HighWater">The latest event time delivered by the head (events behind it are marked late).</param>
/// <param name="KeepFrom">The running engine may read ids at or after this again (its head window, a sweep pass).</param>
internal readonly record struct FeedPosition(DateTimeOffset? Cursor, DateTimeOffset SweepPosition, DateTimeOffset? HighWater, DateTimeOffset KeepFrom)
{
    /// <summary>
    /// A restart from this position may read ids at or after this again: it reads from the cursor and the sweep position,
    /// each less a millisecond, and drops anything older (no cursor yet: from the beginning). Catching up, this is often
    /// far later than KeepFrom, which stays at a head window's start while the cursor moves on.
    /// </summary>
    public DateTimeOffset RestartFrom
        => Cursor is { } c && EventTimes.Min(c, SweepPosition) is var from && from != DateTimeOffset.MinValue ? from - EventTimes.OneMs : DateTimeOffset.MinValue;
}

/// <summary>What one step of the engine produced.</summary>
internal sealed class StepResult
{
    public static readonly List<IntileryEvent> NoEvents = [];

    public List<IntileryEvent> Events { get; init; } = NoEvents;

    public FeedPosition Position { get; init; }

    /// <summary>Nothing to do for this long (the next head poll, or the next slice settling); zero: step again at once.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>The feed has delivered everything it was asked for.</summary>
    public bool Completed { get; init; }

    /// <summary>The head has reached the newest event.</summary>
    public bool AtHead { get; init; }

    public long? Remaining { get; init; }

    public TimeSpan? Behind { get; init; }
}
