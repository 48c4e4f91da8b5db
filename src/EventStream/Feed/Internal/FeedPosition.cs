using EventStream.Parsing;

namespace EventStream.Feed.Internal;

/// <summary>The engine's position after a step: what a checkpoint records once consumers have taken the step's events.</summary>
internal readonly record struct FeedPosition(DateTimeOffset? Cursor, DateTimeOffset SweepPosition, DateTimeOffset? HighWater, DateTimeOffset KeepFrom);

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
