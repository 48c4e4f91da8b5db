using EventStream.Parsing.Internal;

namespace EventStream.Feed.Internal;

/// <summary>
/// The event ids the feed has delivered that it could still read again, bounded by event time (ids older than the
/// sweep position are dropped: no query reaches them any more) and by a hard count. Ids are held as their 128-bit keys
/// (<see cref="EventKey"/>), so a lookup hashes the id's bytes once and compares numbers, and allocates nothing.
/// It also counts the ids per millisecond of event time, so that the settle sweep can compare what it knows of a time
/// range with the API's <c>total</c> for that range (<see cref="CountBetween"/>).
/// </summary>
internal sealed class DedupeWindow
{
    private static readonly long TicksPerMs = TimeSpan.TicksPerMillisecond;
    private readonly HashSet<UInt128> _ids = [];
    private readonly PriorityQueue<UInt128, long> _byTime = new();
    private readonly Dictionary<long, int> _perMs = [];
    private readonly int _capacity;

    public DedupeWindow(int capacity)
    {
        _capacity = capacity;
    }

    public int Count => _ids.Count;

    /// <summary>How many ids were dropped because the count bound was hit (each could let a duplicate through).</summary>
    public long Overflowed { get; private set; }

    public bool Contains(UInt128 key) => _ids.Contains(key);

    public bool Add(string id, DateTimeOffset eventTime) => Add(EventKey.Of(id), eventTime);

    public bool Add(UInt128 id, DateTimeOffset eventTime)
    {
        if (!_ids.Add(id))
        {
            return false;
        }

        _byTime.Enqueue(id, eventTime.UtcTicks);
        long ms = eventTime.UtcTicks / TicksPerMs;
        _perMs[ms] = _perMs.GetValueOrDefault(ms) + 1;
        while (_ids.Count > _capacity && _byTime.TryDequeue(out UInt128 oldest, out long ticks))
        {
            Forget(oldest, ticks);
            Overflowed++;
        }

        return true;
    }

    /// <summary>Forgets ids of events before <paramref name="time"/>.</summary>
    public void EvictBefore(DateTimeOffset time)
    {
        long ticks = time.UtcTicks;
        while (_byTime.TryPeek(out UInt128 id, out long t) && t < ticks)
        {
            _byTime.Dequeue();
            Forget(id, t);
        }
    }

    /// <summary>How many known ids have an event time in [<paramref name="from"/>, <paramref name="to"/>) (whole milliseconds).</summary>
    public long CountBetween(DateTimeOffset from, DateTimeOffset to)
    {
        long lo = CeilingMs(from.UtcTicks), hi = CeilingMs(to.UtcTicks);
        if (hi <= lo)
        {
            return 0;
        }

        long count = 0;
        if (hi - lo <= _perMs.Count)
        {
            for (long ms = lo; ms < hi; ms++)
            {
                count += _perMs.GetValueOrDefault(ms);
            }
        }
        else
        {
            foreach ((long ms, int n) in _perMs)
            {
                if (ms >= lo && ms < hi)
                {
                    count += n;
                }
            }
        }

        return count;
    }

    /// <summary>
    /// The earliest time (a whole millisecond, at most <paramref name="limit"/>) such that [<paramref name="from"/>, it)
    /// holds at least <paramref name="maxCount"/> known ids; <paramref name="limit"/> if the range holds fewer.
    /// </summary>
    public DateTimeOffset EndAfter(DateTimeOffset from, DateTimeOffset limit, int maxCount)
    {
        if (_ids.Count < maxCount || limit <= from)
        {
            return limit;
        }

        long lo = CeilingMs(from.UtcTicks), hi = CeilingMs(limit.UtcTicks);
        if (hi - lo <= 4L * _perMs.Count)
        {
            long count = 0;
            for (long ms = lo; ms < hi; ms++)
            {
                count += _perMs.GetValueOrDefault(ms);
                if (count >= maxCount)
                {
                    return new DateTimeOffset((ms + 1) * TicksPerMs, TimeSpan.Zero);
                }
            }

            return limit;
        }

        // A long, sparse range: sort the milliseconds that hold ids instead of walking every one.
        long[] keys = [.. _perMs.Keys.Where(ms => ms >= lo && ms < hi).Order()];
        long sum = 0;
        foreach (long ms in keys)
        {
            sum += _perMs[ms];
            if (sum >= maxCount)
            {
                return new DateTimeOffset((ms + 1) * TicksPerMs, TimeSpan.Zero);
            }
        }

        return limit;
    }

    private void Forget(UInt128 id, long ticks)
    {
        _ids.Remove(id);
        long ms = ticks / TicksPerMs;
        if (_perMs.TryGetValue(ms, out int n))
        {
            if (n <= 1)
            {
                _perMs.Remove(ms);
            }
            else
            {
                _perMs[ms] = n - 1;
            }
        }
    }

    private static long CeilingMs(long ticks) => (ticks + TicksPerMs - 1) / TicksPerMs;
}
