namespace EventStream.Checkpoints;

/// <summary>
/// A feed's position, as of the last event its consumers took: where the head scan resumes, how far the settle sweep
/// has got, and the ids delivered that could still be read again (so a restart delivers none of them twice).
/// </summary>
/// <param name="Cursor">The head resumes reading at this event time (overlapping by a millisecond); <see langword="null"/>: from the beginning.</param>
/// <param name="SweepPosition">Every event before this time is final: delivered or beyond <c>MaxLateness</c>.</param>
/// <param name="HighWater">The latest event time delivered by the head (events behind it are marked late).</param>
/// <param name="Seen">Ids delivered at or after <paramref name="SweepPosition"/> less a millisecond, with their event times.</param>
/// <param name="Query">The filters the position belongs to (include/exclude); a checkpoint is refused for other filters.</param>
/// <param name="LastEventId">The id of the last event taken before this checkpoint, in delivery order: a restart delivers what came after it (see <see cref="Feed.EventFeed.ResumedAfter"/>).</param>
public sealed record FeedCheckpoint(DateTimeOffset? Cursor, DateTimeOffset SweepPosition, DateTimeOffset? HighWater, IReadOnlyList<SeenEvent> Seen, string Query, string? LastEventId = null);

/// <summary>An event id kept in a checkpoint for dedupe.</summary>
/// <param name="EventId">The id.</param>
/// <param name="EventTime">Its event time.</param>
public sealed record SeenEvent(string EventId, DateTimeOffset EventTime);
