using System.Diagnostics;

namespace EventStream.Simulator.Internal;

/// <summary>
/// The simulator's index: visible events sorted by (eventTime, arrival order), plus events not yet visible
/// (index delay) that join the index once their time comes. Retention (by age and/or count) drops the oldest
/// events as the API ages them out: a query into the dropped range finds nothing there. Thread-safe.
/// </summary>
internal sealed class EventStore
{
    private static readonly Comparer<SimulatedEvent> s_order = Comparer<SimulatedEvent>.Create(Compare);

    private readonly Lock _lock = new();

    /// <summary>Events older than this (eventTime before the server's clock minus it) are dropped; null keeps them.</summary>
    private readonly TimeSpan? _retention;

    /// <summary>The most events held (visible and pending); past it the oldest visible go first. Null: no cap.</summary>
    private readonly int? _maxEvents;

    /// <summary>Visible events in (eventTime, sequence) order; entries before <see cref="_head"/> are dropped (null).</summary>
    private readonly List<SimulatedEvent> _visible = [];

    /// <summary>Events not yet visible, by the time they become so.</summary>
    private readonly PriorityQueue<SimulatedEvent, DateTimeOffset> _pending = new();

    /// <summary>The ids held (visible or pending), to refuse duplicates.</summary>
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    /// <summary>Index of the oldest held event in <see cref="_visible"/> (dropping from the front is O(1); compacted in batches).</summary>
    private int _head;

    /// <summary>Arrival order of the next event added (ties in eventTime are served in it).</summary>
    private long _sequence;

    /// <summary>How many events retention has dropped.</summary>
    private long _dropped;

    public EventStore()
        : this(null, null)
    {
    }

    /// <param name="retention">How long events are kept, by eventTime; null keeps them.</param>
    /// <param name="maxEvents">The most events held; null: no cap.</param>
    public EventStore(TimeSpan? retention, int? maxEvents)
    {
        _retention = retention;
        _maxEvents = maxEvents;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return HeldCount;
            }
        }
    }

    /// <summary>How many events retention has dropped so far.</summary>
    public long Dropped
    {
        get
        {
            lock (_lock)
            {
                return _dropped;
            }
        }
    }

    /// <summary>Whether anything is ever dropped (by age or count).</summary>
    public bool HasRetention => _retention is not null || _maxEvents is not null;

    private int VisibleCount => _visible.Count - _head;

    private int HeldCount => VisibleCount + _pending.Count;

    public void Add(SimulatedEvent e)
    {
        lock (_lock)
        {
            if (!_ids.Add(e.EventId))
            {
                throw new ArgumentException($"Event {e.EventId} is already in the simulator.", nameof(e));
            }

            e.Sequence = _sequence++;
            _pending.Enqueue(e, e.VisibleAt);
            if (_maxEvents is { } max && HeldCount > max)
            {
                DropOldest(HeldCount - max);
            }

            AssertInvariants();
        }
    }

    public List<SimulatedEvent> Snapshot()
    {
        lock (_lock)
        {
            var all = new List<SimulatedEvent>(HeldCount);
            all.AddRange(_visible.GetRange(_head, VisibleCount));
            all.AddRange(_pending.UnorderedItems.Select(x => x.Element));
            return all;
        }
    }

    /// <summary>The oldest eventTime held among visible events, if any.</summary>
    public DateTimeOffset? OldestVisible()
    {
        lock (_lock)
        {
            return VisibleCount > 0 ? _visible[_head].EventTime : null;
        }
    }

    /// <summary>Forgets visible events older than <paramref name="time"/> (for long simulated runs: memory stays bounded).</summary>
    public void RemoveBefore(DateTimeOffset time)
    {
        lock (_lock)
        {
            DropVisible(LowerBound(time, 0) - _head);
        }
    }

    /// <summary>Publishes what is visible at <paramref name="now"/> and drops what retention no longer keeps.</summary>
    public void Trim(DateTimeOffset now)
    {
        lock (_lock)
        {
            Publish(now);
            ApplyRetention(now);
        }
    }

    /// <summary>Runs a query against what is visible, and still held, at <paramref name="now"/>.</summary>
    /// <remarks><c>total</c> counts the matching events held: a range retention has dropped answers empty, with total 0.</remarks>
    public (long Total, List<SimulatedEvent> Page) Query(in EventQuery q, DateTimeOffset now)
    {
        lock (_lock)
        {
            Publish(now);
            ApplyRetention(now);
            int lo = q.Start is { } start ? LowerBound(start, q.Inclusive ? 0 : 1) : _head;
            int hi = q.End is { } end ? LowerBound(end, q.Inclusive ? 1 : 0) : _visible.Count;
            var page = new List<SimulatedEvent>(Math.Min(q.Size, 100));
            if (hi <= lo)
            {
                return (0, page);
            }

            bool filtered = q.Include is not null || q.Exclude is not null;
            long total = filtered ? 0 : hi - lo;
            int skipped = 0;
            int step = q.Descending ? -1 : 1;
            for (int i = q.Descending ? hi - 1 : lo; i >= lo && i < hi; i += step)
            {
                SimulatedEvent e = _visible[i];
                if (filtered)
                {
                    if (!q.Matches(e.Action))
                    {
                        continue;
                    }

                    total++;
                }

                if (skipped < q.From)
                {
                    skipped++;
                }
                else if (page.Count < q.Size)
                {
                    page.Add(e);
                }
                else if (!filtered)
                {
                    break; // total is already known
                }
            }

            return (total, page);
        }
    }

    // Moves events whose index delay has passed into the sorted index.
    private void Publish(DateTimeOffset now)
    {
        while (_pending.TryPeek(out SimulatedEvent? e, out DateTimeOffset visibleAt) && visibleAt <= now)
        {
            _pending.Dequeue();
            int index = _visible.Count;
            if (VisibleCount > 0 && Compare(_visible[index - 1], e) > 0)
            {
                index = _visible.BinarySearch(_head, VisibleCount, e, s_order);
                index = index < 0 ? ~index : index;
            }

            _visible.Insert(index, e);
        }
    }

    private void ApplyRetention(DateTimeOffset now)
    {
        if (_retention is { } retention)
        {
            DropVisible(LowerBound(now - retention, 0) - _head);
        }

        if (_maxEvents is { } max && HeldCount > max)
        {
            DropOldest(HeldCount - max);
        }

        AssertInvariants();
    }

    // The oldest visible events first; then (a cap smaller than what is still being indexed) the pending that become visible first.
    private void DropOldest(int count)
    {
        int visible = Math.Min(count, VisibleCount);
        DropVisible(visible);
        for (int i = visible; i < count && _pending.TryDequeue(out SimulatedEvent? e, out _); i++)
        {
            _ids.Remove(e.EventId);
            _dropped++;
        }
    }

    private void DropVisible(int count)
    {
        if (count <= 0)
        {
            return;
        }

        for (int i = _head; i < _head + count; i++)
        {
            _ids.Remove(_visible[i].EventId);
            _visible[i] = null!;
        }

        _head += count;
        _dropped += count;
        if (_head == _visible.Count)
        {
            _visible.Clear();
            _head = 0;
        }
        else if (_head >= 1024 && _head >= VisibleCount)
        {
            // Amortised: each held event is moved at most once per time the front half is dropped.
            _visible.RemoveRange(0, _head);
            _head = 0;
        }
    }

    private static int Compare(SimulatedEvent a, SimulatedEvent b)
    {
        int byTime = a.EventTime.UtcTicks.CompareTo(b.EventTime.UtcTicks);
        return byTime != 0 ? byTime : a.Sequence.CompareTo(b.Sequence);
    }

    // First index (from the head) whose eventTime is >= time (bias 0) or > time (bias 1).
    private int LowerBound(DateTimeOffset time, int bias)
    {
        long ticks = time.UtcTicks;
        int lo = _head, hi = _visible.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            long t = _visible[mid].EventTime.UtcTicks;
            if (t < ticks || (bias == 1 && t == ticks))
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_head >= 0 && _head <= _visible.Count, "the head is inside the index");
        Debug.Assert(_ids.Count == HeldCount, "every held event's id is known, and only those");
        Debug.Assert(_maxEvents is not { } max || HeldCount <= max, "the cap holds");
    }
}
