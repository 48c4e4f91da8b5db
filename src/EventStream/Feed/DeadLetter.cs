using EventStream.Parsing;

namespace EventStream.Feed;

/// <summary>An event a consumer kept failing on, skipped and reported to <see cref="FeedOptions.OnDeadLetter"/>.</summary>
/// <param name="Event">The event.</param>
/// <param name="Exception">What the consumer threw the last time.</param>
/// <param name="Attempts">How many times the event was handed to the consumer (1 + <see cref="FeedOptions.ConsumerRetries"/>).</param>
/// <param name="Consumer">Which kind of consumer threw: <c>observer</c> or <c>group observer</c>.</param>
public sealed record DeadLetter(IntileryEvent Event, Exception Exception, int Attempts, string Consumer);
