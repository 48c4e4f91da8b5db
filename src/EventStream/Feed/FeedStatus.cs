namespace EventStream.Feed;

/// <summary>A feed's state, as published by <see cref="EventFeed.Status"/>.</summary>
/// <param name="State">What the feed is doing.</param>
/// <param name="Behind">While catching up: how far the head is behind the server's clock.</param>
/// <param name="Remaining">While catching up: events left to read, when the API sends <c>total</c>.</param>
/// <param name="NextAttempt">While retrying: when the next attempt is due.</param>
/// <param name="Error">While retrying, the transient error; when faulted, what ended the feed (a permanent API error, or a <see cref="ConsumerFaultException"/>).</param>
/// <param name="Counters">What the feed has done so far.</param>
public sealed record FeedStatus(FeedState State, TimeSpan? Behind, long? Remaining, DateTimeOffset? NextAttempt, Exception? Error, FeedCounters Counters)
{
    /// <summary>
    /// While delivery has waited on one consumer longer than <see cref="FeedOptions.StallThreshold"/>: which kind, since
    /// when; otherwise <see langword="null"/>.
    /// </summary>
    public ConsumerStall? Stall { get; init; }


    /// <inheritdoc />
    public override string ToString() => Describe() + (Stall is { } stall ? $"; stalled: waiting on a slow {stall.Consumer} since {stall.Since:HH:mm:ss}" : "");

    private string Describe() => State switch
    {
        FeedState.CatchingUp => $"catching up{(Remaining is { } r ? $", {r} events left" : "")}{(Behind is { } b ? $", {b:g} behind" : "")}",
        FeedState.Retrying => $"retrying at {NextAttempt:HH:mm:ss}: {Error?.Message}",
        FeedState.Faulted => $"faulted: {Error?.Message}",
        _ => State.ToString().ToLowerInvariant(),
    };
}
