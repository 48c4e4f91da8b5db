namespace EventStream.Feed;

/// <summary>
/// Delivery has waited on a consumer longer than <see cref="FeedOptions.StallThreshold"/>: one observer still inside
/// <c>OnNext</c>, or one reader whose buffer is full. Until it returns, every other consumer waits too and polling pauses.
/// </summary>
/// <param name="Consumer">What delivery is waiting on: <c>observer</c>, <c>group observer</c> or <c>reader</c>.</param>
/// <param name="Since">When delivery of the event it is holding began.</param>
/// <param name="EventId">The id of that event.</param>
public sealed record ConsumerStall(string Consumer, DateTimeOffset Since, string EventId);
