using EventStream.Parsing;

namespace EventStream.Feed.Internal;

/// <summary>From the poller to the dispatcher: an event, or (Event null) a step's position; Sequence is the committer's number for it.</summary>
internal readonly record struct FeedItem(IntileryEvent? Event, FeedPosition Position, long Sequence);

/// <summary>Publishes the feed's status (the feed derives the state from its lifecycle).</summary>
internal delegate void PublishStatus(FeedState state, TimeSpan? behind = null, long? remaining = null, DateTimeOffset? nextAttempt = null, Exception? error = null);
