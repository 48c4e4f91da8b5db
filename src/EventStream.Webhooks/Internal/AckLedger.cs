using EventStream.Checkpoints;

namespace EventStream.Webhooks.Internal;

/// <summary>
/// Which events, in the order the forwarder took them from the feed, every matching route has acknowledged (delivered
/// with a 2xx, or dead-lettered); and the checkpoints the feed saved, held until every event they cover is acknowledged.
/// </summary>
/// <remarks>
/// Design (a) of issue 20, no change to the core: the feed counts an event as taken once the forwarder has queued it on
/// its routes, and saves checkpoints as of what was taken. The forwarder gives the feed a store of this kind in place of
/// the user's (<see cref="AcknowledgingCheckpointStore"/>): each checkpoint saved is held with the take number of its
/// <see cref="FeedCheckpoint.LastEventId"/>, and the newest one whose events are all acknowledged goes to the user's
/// store — at once when the last acknowledgement comes, so also while the feed is idle. A held checkpoint describes
/// exactly the feed at its take point (cursor, sweep, and the ids taken up to it), so persisting it later is as if the
/// feed had crashed then: what came after is read again, nothing before it is lost. A crash therefore repeats what was
/// taken after the persisted checkpoint, each with its original <c>webhook-id</c>: while every route keeps up, at most
/// the routes' queues plus the feed's own bound (<c>CheckpointAfterEvents</c>); while a route retries an event, all
/// taken since — unless a pending file is set, when the checkpoint waits at most <c>ParkAfter</c> before the events
/// routes hold are written there and it moves past them (<see cref="AcknowledgingCheckpointStore"/>). (b), an explicit-acknowledgement reader in
/// the core, would tie the feed's save bound to the slowest route and make the feed wait on it; (a) keeps routes apart.
/// </remarks>
internal sealed class AckLedger
{
    private readonly Lock _lock = new();

    /// <summary>Take number of each event taken and not yet below the watermark.</summary>
    private readonly Dictionary<string, long> _sequenceOf = new(StringComparer.Ordinal);

    /// <summary>Routes still to acknowledge, by take number (absent: acknowledged by all).</summary>
    private readonly Dictionary<long, int> _remaining = [];

    /// <summary>Ids by take number, to forget <see cref="_sequenceOf"/> as the watermark passes them.</summary>
    private readonly Queue<(long Sequence, string Id)> _order = new();

    /// <summary>Checkpoints saved by the feed, oldest first, with the take number of their last event and when held.</summary>
    private readonly List<(long Sequence, FeedCheckpoint Checkpoint, long HeldAt)> _held = [];

    /// <summary>The last take number handed out.</summary>
    private long _taken;

    /// <summary>Every event up to this take number is acknowledged.</summary>
    private long _watermark;

    /// <summary>At most this many event ids are remembered; beyond it the oldest are forgotten, even unacknowledged ones.</summary>
    public const int MaxTracked = 100_000;

    /// <summary>The newest take number forgotten because of <see cref="MaxTracked"/> (0: none).</summary>
    private long _forgotten;

    /// <summary>At most this many checkpoints are held; beyond it the oldest-but-one are dropped (only coarser, never unsafe).</summary>
    public const int MaxHeld = 32;

    public long Taken { get { lock (_lock) { return _taken; } } }

    public long Watermark { get { lock (_lock) { return _watermark; } } }

    /// <summary>Events taken and not yet acknowledged by every route.</summary>
    public int Unacknowledged { get { lock (_lock) { return _remaining.Count; } } }

    public int Held { get { lock (_lock) { return _held.Count; } } }

    /// <summary>When the oldest checkpoint still held was held (a timestamp), or null when none is.</summary>
    public long? OldestHeldAt { get { lock (_lock) { return _held.Count > 0 ? _held[0].HeldAt : null; } } }

    /// <summary>Event ids remembered now (at most <see cref="MaxTracked"/>).</summary>
    public int Tracked { get { lock (_lock) { return _order.Count; } } }

    /// <summary>Records an event about to be queued on <paramref name="routes"/> routes (0: acknowledged at once); returns its take number.</summary>
    public long Begin(string eventId, int routes)
    {
        lock (_lock)
        {
            long sequence = ++_taken;
            _sequenceOf[eventId] = sequence;
            _order.Enqueue((sequence, eventId));
            if (routes > 0)
            {
                _remaining[sequence] = routes;
            }

            AdvanceLocked();
            return sequence;
        }
    }

    /// <summary>One route acknowledged the event; true when that moved the watermark.</summary>
    public bool Acknowledge(long sequence)
    {
        lock (_lock)
        {
            if (!_remaining.TryGetValue(sequence, out int left))
            {
                return false;
            }

            if (left > 1)
            {
                _remaining[sequence] = left - 1;
                return false;
            }

            _remaining.Remove(sequence);
            long before = _watermark;
            AdvanceLocked();
            return _watermark != before;
        }
    }

    /// <summary>Holds a checkpoint the feed saved, at <paramref name="heldAt"/> (a timestamp).</summary>
    public void Hold(FeedCheckpoint checkpoint, long heldAt = 0)
    {
        lock (_lock)
        {
            // An id not held is from before this run (a restored checkpoint), or already below the watermark: nothing to
            // wait for — unless ids not yet acknowledged were forgotten (MaxTracked): then it may be one of them, and the
            // checkpoint waits for everything taken so far (coarser, never unsafe).
            long sequence = checkpoint.LastEventId is { } id && _sequenceOf.TryGetValue(id, out long s) ? s
                : _forgotten > _watermark ? _taken : 0;
            _held.Add((sequence, checkpoint, heldAt));
            if (_held.Count > MaxHeld)
            {
                _held.RemoveAt(1);
            }
        }
    }

    /// <summary>The newest held checkpoint whose events are all acknowledged (dropping it and older ones), or null.</summary>
    public FeedCheckpoint? TakeReady() => TakeReady(out _);

    /// <summary>As <see cref="TakeReady()"/>, with the take number of the checkpoint's last event.</summary>
    public FeedCheckpoint? TakeReady(out long through)
    {
        through = 0;
        lock (_lock)
        {
            int ready = -1;
            for (int i = 0; i < _held.Count && _held[i].Sequence <= _watermark; i++)
            {
                ready = i;
            }

            if (ready < 0)
            {
                return null;
            }

            (through, FeedCheckpoint checkpoint, _) = _held[ready];
            _held.RemoveRange(0, ready + 1);
            return checkpoint;
        }
    }

    /// <summary>
    /// The newest held checkpoint, ready or not (dropping every held one), with the take number of its last event; null
    /// when none is held. For parking: the events up to it that are not acknowledged are written elsewhere first.
    /// </summary>
    public (FeedCheckpoint Checkpoint, long Through)? TakeNewest()
    {
        lock (_lock)
        {
            if (_held.Count == 0)
            {
                return null;
            }

            (long through, FeedCheckpoint checkpoint, _) = _held[^1];
            _held.Clear();
            return (checkpoint, through);
        }
    }

    private void AdvanceLocked()
    {
        while (_watermark < _taken && !_remaining.ContainsKey(_watermark + 1))
        {
            _watermark++;
        }

        // Forget ids below the watermark, except the newest one: a checkpoint naming it may yet be saved.
        while (_order.Count > 1 && _order.Peek().Sequence < _watermark)
        {
            (_, string id) = _order.Dequeue();
            _sequenceOf.Remove(id);
        }

        // And the oldest beyond MaxTracked even above it (a route retrying the same events for hours holds the watermark
        // while the others go on): memory stays bounded, and a checkpoint naming a forgotten id waits for all taken so far.
        while (_order.Count > MaxTracked)
        {
            (long sequence, string id) = _order.Dequeue();
            _sequenceOf.Remove(id);
            _forgotten = Math.Max(_forgotten, sequence);
        }
    }
}
