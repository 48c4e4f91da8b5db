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
public sealed record FeedCheckpoint(DateTimeOffset? Cursor, DateTimeOffset SweepPosition, DateTimeOffset? HighWater, [property: System.Text.Json.Serialization.JsonConverter(typeof(SeenListConverter))] IReadOnlyList<SeenEvent> Seen, string Query, string? LastEventId = null)
{
    /// <summary>The checkpoint as UTF-8 JSON (the format of <see cref="FileCheckpointStore"/>), for stores of your own.</summary>
    /// <returns>The JSON.</returns>
    public byte[] ToUtf8Json() => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(this, CheckpointJson.Default.FeedCheckpoint);

    /// <summary>Reads a checkpoint written by <see cref="ToUtf8Json"/>, checking that it is one.</summary>
    /// <param name="json">The JSON.</param>
    /// <returns>The checkpoint.</returns>
    /// <exception cref="InvalidDataException">It is not a checkpoint; the message says why.</exception>
    public static FeedCheckpoint FromUtf8Json(ReadOnlySpan<byte> json)
    {
        FeedCheckpoint? checkpoint;
        try
        {
            checkpoint = System.Text.Json.JsonSerializer.Deserialize(json, CheckpointJson.Default.FeedCheckpoint);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new InvalidDataException($"not a valid checkpoint: {ex.Message}", ex);
        }

        // JSON that deserializes is not yet a checkpoint: members may be null or missing (found by fuzzing the loader).
        string? problem = checkpoint is null ? "it is empty"
            : checkpoint.Query is null ? "it has no query"
            : checkpoint.Seen is null ? "it has no seen list"
            : checkpoint.Seen.Any(s => s is null || string.IsNullOrEmpty(s.EventId)) ? "a seen event has no id"
            : null;
        return problem is null ? checkpoint! : throw new InvalidDataException($"not a valid checkpoint: {problem}.");
    }
}

/// <summary>An event id kept in a checkpoint for dedupe.</summary>
/// <param name="EventId">The id.</param>
/// <param name="EventTime">Its event time.</param>
public sealed record SeenEvent(string EventId, DateTimeOffset EventTime);
