namespace EventStream.Feed;

/// <summary>A snapshot of what a feed has done.</summary>
/// <param name="Requests">Page requests completed (retries inside one request not counted).</param>
/// <param name="Events">Events handed over to consumers: every observer has returned from <c>OnNext</c> with it, and every reader has it in its own buffer (at most <see cref="FeedOptions.BufferCapacity"/> ahead of what that reader has taken).</param>
/// <param name="LateEvents">Of <paramref name="Events"/>, those found behind the head (marked <see cref="Parsing.IntileryEvent.IsLate"/>).</param>
/// <param name="DuplicatesDropped">Events read again and dropped by dedupe.</param>
/// <param name="RateLimited">429 responses received.</param>
/// <param name="Retries">Attempts retried after transient failures.</param>
/// <param name="SweepRequests">Of <paramref name="Requests"/>, those made by the settle sweep.</param>
/// <param name="RequestsPerSecond">Page requests per second over the last minute: what the feed spends now of the token's shared budget.</param>
/// <param name="UnreadableEvents">Events skipped because they could not be read (each reported through <see cref="FeedOptions.OnUnreadableEvent"/>).</param>
/// <param name="CheckpointsSaved">Checkpoints saved to the store.</param>
/// <param name="CheckpointSaveFailures">Checkpoint saves that failed (the previous checkpoint stays; the save is retried).</param>
/// <param name="Buffered">Events read ahead and not yet handed over (at most <see cref="FeedOptions.BufferCapacity"/> and a page); readers' own buffers are not counted here.</param>
/// <param name="ConsumerRetries">Times an event was handed again to an observer that threw on it (<see cref="FeedOptions.ConsumerRetries"/>).</param>
/// <param name="DeadLettered">Events an observer kept failing on, reported to <see cref="FeedOptions.OnDeadLetter"/> and skipped.</param>
public sealed record FeedCounters(
    long Requests,
    long Events,
    long LateEvents,
    long DuplicatesDropped,
    long RateLimited,
    long Retries,
    long SweepRequests,
    double RequestsPerSecond,
    long UnreadableEvents,
    long CheckpointsSaved,
    long CheckpointSaveFailures,
    long Buffered,
    long ConsumerRetries,
    long DeadLettered);
