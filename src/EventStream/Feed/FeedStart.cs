using EventStream.Checkpoints;

namespace EventStream.Feed;

/// <summary>Where a feed starts reading when its checkpoint store has nothing to resume from.</summary>
public abstract record FeedStart
{
    private protected FeedStart() { }

    /// <summary>Events from now on: the newest event existing at start is the last one not delivered.</summary>
    public static FeedStart Now { get; } = new NowStart();

    /// <summary>Every event the API holds, oldest first.</summary>
    public static FeedStart Beginning { get; } = new BeginningStart();

    /// <summary>Events from <paramref name="time"/> (inclusive) on.</summary>
    /// <param name="time">The first event time to deliver.</param>
    /// <returns>The start position.</returns>
    public static FeedStart At(DateTimeOffset time) => new AtStart(time);

    /// <summary>The newest <paramref name="count"/> events (fetched newest first, delivered oldest first), then live.</summary>
    /// <param name="count">How many, 1 to 10,000.</param>
    /// <returns>The start position.</returns>
    public static FeedStart Latest(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 10_000);
        return new LatestStart(count);
    }

    /// <summary>Resume exactly where a checkpoint left off.</summary>
    /// <param name="checkpoint">The checkpoint.</param>
    /// <returns>The start position.</returns>
    public static FeedStart From(FeedCheckpoint checkpoint)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return new CheckpointStart(checkpoint);
    }

    internal sealed record NowStart : FeedStart;

    internal sealed record BeginningStart : FeedStart;

    internal sealed record AtStart(DateTimeOffset Time) : FeedStart;

    internal sealed record LatestStart(int Count) : FeedStart;

    internal sealed record CheckpointStart(FeedCheckpoint Checkpoint) : FeedStart;
}
