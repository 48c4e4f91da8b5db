using EventStream.Checkpoints;
using EventStream.Parsing;

namespace EventStream.Feed.Internal;

/// <summary>
/// A position the feed reached, to be committed once every consumer has taken the events before it.
/// Each consumer (the observers together, and each async reader) releases it once.
/// </summary>
internal sealed class PositionMarker(FeedPosition position, List<IntileryEvent> events, Committer committer)
{
    private int _pending = 1;

    public FeedPosition Position { get; } = position;

    public List<IntileryEvent> Events { get; } = events;

    public void AddConsumers(int count) => Interlocked.Add(ref _pending, count);

    public void Release()
    {
        if (Interlocked.Decrement(ref _pending) == 0)
        {
            committer.Commit(this);
        }
    }
}

/// <summary>
/// Tracks the position consumers have taken (cursor, sweep position, and the ids they took that could be read again)
/// and turns it into a <see cref="FeedCheckpoint"/>. Markers complete in order, because each consumer passes them in order.
/// </summary>
internal sealed class Committer(string queryKey, FeedCheckpoint? initial)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, DateTimeOffset> _seen = initial?.Seen.ToDictionary(s => s.EventId, s => s.EventTime, StringComparer.Ordinal) ?? new(StringComparer.Ordinal);
    private FeedPosition? _position = initial is null ? null : new FeedPosition(initial.Cursor, initial.SweepPosition, initial.HighWater, DateTimeOffset.MinValue);
    private long _version;
    private long _savedVersion;

    public bool HasUnsaved
    {
        get
        {
            lock (_lock)
            {
                return _position is not null && _version != _savedVersion;
            }
        }
    }

    public void Commit(PositionMarker marker)
    {
        lock (_lock)
        {
            foreach (IntileryEvent e in marker.Events)
            {
                _seen[e.EventId] = e.EventTime;
            }

            DateTimeOffset keepFrom = marker.Position.KeepFrom;
            if (_seen.Count > 0 && keepFrom != DateTimeOffset.MinValue)
            {
                // Forgetting is O(n) over a set bounded by MaxLateness of events; it runs once per page.
                foreach (KeyValuePair<string, DateTimeOffset> entry in _seen)
                {
                    if (entry.Value < keepFrom)
                    {
                        _seen.Remove(entry.Key);
                    }
                }
            }

            _position = marker.Position;
            _version++;
        }
    }

    /// <summary>The committed position as a checkpoint, and its version (to mark it saved), or null before the first commit.</summary>
    public (FeedCheckpoint? Checkpoint, long Version) Snapshot()
    {
        lock (_lock)
        {
            if (_position is not { } p)
            {
                return (null, _version);
            }

            SeenEvent[] seen = [.. _seen.Select(kv => new SeenEvent(kv.Key, kv.Value)).OrderBy(s => s.EventTime)];
            return (new FeedCheckpoint(p.Cursor, p.SweepPosition, p.HighWater, seen, queryKey), _version);
        }
    }

    public void MarkSaved(long version)
    {
        lock (_lock)
        {
            _savedVersion = Math.Max(_savedVersion, version);
        }
    }
}
