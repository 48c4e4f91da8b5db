namespace EventStream.Simulator;

/// <summary>
/// The simulator's index: visible events sorted by (eventTime, arrival order), plus events not yet visible
/// (index delay) that join the index once their time comes. Thread-safe.
/// </summary>
internal sealed class EventStore
{
    private readonly Lock _lock = new();
    private readonly List<SimulatedEvent> _visible = [];
    private readonly PriorityQueue<SimulatedEvent, DateTimeOffset> _pending = new();
    private readonly HashSet<string> _ids = [];
    private long _sequence;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _visible.Count + _pending.Count;
            }
        }
    }

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
        }
    }

    public List<SimulatedEvent> Snapshot()
    {
        lock (_lock)
        {
            var all = new List<SimulatedEvent>(_visible);
            all.AddRange(_pending.UnorderedItems.Select(x => x.Element));
            return all;
        }
    }

    /// <summary>Forgets visible events older than <paramref name="time"/> (for long simulated runs: memory stays bounded).</summary>
    public void RemoveBefore(DateTimeOffset time)
    {
        lock (_lock)
        {
            int n = LowerBound(time, 0);
            foreach (SimulatedEvent e in _visible.GetRange(0, n))
            {
                _ids.Remove(e.EventId);
            }

            _visible.RemoveRange(0, n);
        }
    }

    /// <summary>Runs a query against what is visible at <paramref name="now"/>.</summary>
    public (long Total, List<SimulatedEvent> Page) Query(in EventQuery q, DateTimeOffset now)
    {
        lock (_lock)
        {
            Publish(now);
            int lo = q.Start is { } start ? LowerBound(start, q.Inclusive ? 0 : 1) : 0;
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
            if (index > 0 && Compare(_visible[index - 1], e) > 0)
            {
                index = _visible.BinarySearch(e, Comparer<SimulatedEvent>.Create(Compare));
                index = index < 0 ? ~index : index;
            }

            _visible.Insert(index, e);
        }
    }

    private static int Compare(SimulatedEvent a, SimulatedEvent b)
    {
        int byTime = a.EventTime.UtcTicks.CompareTo(b.EventTime.UtcTicks);
        return byTime != 0 ? byTime : a.Sequence.CompareTo(b.Sequence);
    }

    // First index whose eventTime is >= time (bias 0) or > time (bias 1).
    private int LowerBound(DateTimeOffset time, int bias)
    {
        long ticks = time.UtcTicks;
        int lo = 0, hi = _visible.Count;
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
}

/// <summary>A parsed, validated query.</summary>
internal readonly record struct EventQuery(
    HashSet<string>? Include, HashSet<string>? Exclude, DateTimeOffset? Start, DateTimeOffset? End,
    bool Descending, int From, int Size, bool Inclusive)
{
    public bool Matches(string action)
        => (Include is null || Include.Contains(action)) && (Exclude is null || !Exclude.Contains(action));
}
