namespace EventStream.Simulator.Internal;

/// <summary>The last <c>capacity</c> requests answered, listed in order of arrival. Thread-safe.</summary>
internal sealed class RequestLog(int capacity)
{
    private readonly Lock _lock = new();

    /// <summary>A ring of the newest records with their arrival numbers; allocated as it fills.</summary>
    private readonly List<(long Sequence, RequestRecord Record)> _ring = new(Math.Min(capacity, 1024));

    /// <summary>Where the next record goes once the ring is full.</summary>
    private int _next;

    /// <summary>Records the request that arrived <paramref name="sequence"/>th; the oldest logged is forgotten once the log is full.</summary>
    public void Add(long sequence, RequestRecord record)
    {
        if (capacity == 0)
        {
            return;
        }

        lock (_lock)
        {
            if (_ring.Count < capacity)
            {
                _ring.Add((sequence, record));
            }
            else
            {
                _ring[_next] = (sequence, record);
                _next = (_next + 1) % capacity;
            }
        }
    }

    /// <summary>The records held, by arrival.</summary>
    public IReadOnlyList<RequestRecord> Snapshot()
    {
        lock (_lock)
        {
            return [.. _ring.OrderBy(r => r.Sequence).Select(r => r.Record)];
        }
    }
}
