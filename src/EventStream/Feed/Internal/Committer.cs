using EventStream.Checkpoints;
using EventStream.Parsing;

namespace EventStream.Feed.Internal;

/// <summary>How far one consumer has got: the sequence number of the last item it has taken.</summary>
internal sealed class ConsumerProgress(long start)
{
    private long _taken = start;

    public long Taken => Volatile.Read(ref _taken);

    /// <summary>Left while no other consumer remained: kept as a floor until another consumer joins.</summary>
    public bool Departed { get; set; }

    public void Take(long sequence) => Volatile.Write(ref _taken, sequence);
}

/// <summary>
/// Turns what consumers have taken into a <see cref="FeedCheckpoint"/>. Every event and every step position passes
/// through it in order, numbered; the checkpoint holds the last position whose events every active consumer has taken,
/// plus the ids of every event taken that a restart from it could read again (also those after that position), so a
/// graceful restart repeats nothing and a crash loses nothing. A consumer that leaves while others remain stops
/// counting; the last one to leave stays as a floor (so a restart redelivers what nobody took) until another consumer
/// joins: the stream is hot, and events that went to a consumer who left are not kept for the next one. Only ids and
/// times are held, never the events.
/// </summary>
internal sealed class Committer
{
    private readonly Lock _lock = new();
    private readonly string _queryKey;
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly Queue<(string Id, DateTimeOffset EventTime)> _seenOrder = new(); // _seen in the order taken: what to forget first
    private readonly Queue<(long Sequence, string? EventId, DateTimeOffset EventTime, FeedPosition? Position)> _pending = new();
    private readonly List<ConsumerProgress> _consumers = [];
    private FeedPosition? _position;
    private string? _lastTaken;
    private long _sequence;
    private long _committed;
    private long _version;
    private long _savedVersion;

    public Committer(string queryKey) => _queryKey = queryKey;

    /// <summary>Starts from a loaded checkpoint (before anything is appended).</summary>
    public void Restore(FeedCheckpoint checkpoint)
    {
        lock (_lock)
        {
            foreach (SeenEvent seen in checkpoint.Seen.OrderBy(s => s.EventTime))
            {
                Remember(seen.EventId, seen.EventTime);
            }

            _position = new FeedPosition(checkpoint.Cursor, checkpoint.SweepPosition, checkpoint.HighWater, DateTimeOffset.MinValue);
            _lastTaken = checkpoint.LastEventId;
        }
    }

    public bool HasUnsaved
    {
        get
        {
            lock (_lock)
            {
                AdvanceLocked();
                return _position is not null && _version != _savedVersion;
            }
        }
    }

    /// <summary>Numbers an event about to be handed to consumers.</summary>
    public long Append(IntileryEvent e)
    {
        lock (_lock)
        {
            _pending.Enqueue((++_sequence, e.EventId, e.EventTime, null));
            return _sequence;
        }
    }

    /// <summary>Numbers a step's position, reached once every event appended before it has been taken.</summary>
    public long Append(FeedPosition position)
    {
        lock (_lock)
        {
            _pending.Enqueue((++_sequence, null, default, position));
            return _sequence;
        }
    }

    /// <summary>A new consumer: it will receive items from the next one appended.</summary>
    public ConsumerProgress Join()
    {
        lock (_lock)
        {
            _consumers.RemoveAll(c => c.Departed);
            var progress = new ConsumerProgress(_sequence);
            _consumers.Add(progress);
            return progress;
        }
    }

    public void Leave(ConsumerProgress progress)
    {
        lock (_lock)
        {
            if (_consumers.Count > 1)
            {
                _consumers.Remove(progress);
            }
            else
            {
                progress.Departed = true;
            }
        }
    }

    /// <summary>
    /// The committed position as a checkpoint (null before the first commit), its version (to mark it saved) and the
    /// sequence number every consumer had taken: once saved, a crash repeats nothing up to it.
    /// </summary>
    public (FeedCheckpoint? Checkpoint, long Version, long Taken) Snapshot()
    {
        lock (_lock)
        {
            AdvanceLocked();
            if (_position is not { } p)
            {
                return (null, _version, _committed);
            }

            // Only the ids a restart could read again; those kept for the running engine's sake go no further (catching
            // up a backlog, they were up to 9,984 ids, 947 KB saved every 500 events, where a restart needs a few dozen).
            DateTimeOffset from = p.RestartFrom;
            SeenEvent[] seen = [.. _seen.Where(kv => kv.Value >= from).Select(kv => new SeenEvent(kv.Key, kv.Value)).OrderBy(s => s.EventTime)];
            return (new FeedCheckpoint(p.Cursor, p.SweepPosition, p.HighWater, seen, _queryKey, _lastTaken), _version, _committed);
        }
    }

    public void MarkSaved(long version)
    {
        lock (_lock)
        {
            _savedVersion = Math.Max(_savedVersion, version);
        }
    }

    /// <summary>Commits what every consumer has taken; the pump calls it at each step's position to keep the queue short.</summary>
    public void Advance()
    {
        lock (_lock)
        {
            AdvanceLocked();
        }
    }

    private void AdvanceLocked()
    {
        if (_consumers.Count == 0)
        {
            return;
        }

        long taken = long.MaxValue;
        foreach (ConsumerProgress consumer in _consumers)
        {
            taken = Math.Min(taken, consumer.Taken);
        }

        if (taken <= _committed)
        {
            return;
        }

        while (_pending.TryPeek(out var item) && item.Sequence <= taken)
        {
            _pending.Dequeue();
            if (item.EventId is { } id)
            {
                Remember(id, item.EventTime);
                _lastTaken = id;
            }
            else if (item.Position is { } position)
            {
                _position = position;
                Forget(position.KeepFrom);
            }
        }

        _committed = taken;
        _version++;
    }

    private void Remember(string id, DateTimeOffset eventTime)
    {
        _seen[id] = eventTime;
        _seenOrder.Enqueue((id, eventTime));
    }

    // Ids older than the position's KeepFrom can no longer be read again. Events are taken in event-time order (a late one
    // is older than those before it), so forgetting from the front of the taken order costs O(1) per id; a late event is
    // forgotten once those taken before it are (kept a little longer than needed, never shorter). This was a scan of every
    // id per page: at 10,000 events/s live with MaxLateness 30 s, 300,000 entries a page.
    private void Forget(DateTimeOffset keepFrom)
    {
        while (_seenOrder.TryPeek(out var oldest) && oldest.EventTime < keepFrom)
        {
            _seenOrder.Dequeue();
            if (_seen.TryGetValue(oldest.Id, out DateTimeOffset time) && time == oldest.EventTime)
            {
                _seen.Remove(oldest.Id);
            }
        }
    }
}
