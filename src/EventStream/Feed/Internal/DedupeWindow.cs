using System.Text;

namespace EventStream.Feed.Internal;

/// <summary>
/// The event ids the feed has delivered that it could still read again, bounded by event time (ids older than the
/// sweep position are dropped: no query reaches them any more) and by a hard count. Lookups by UTF-8 span allocate nothing.
/// </summary>
internal sealed class DedupeWindow
{
    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly PriorityQueue<string, long> _byTime = new();
    private readonly int _capacity;

    public DedupeWindow(int capacity)
    {
        _capacity = capacity;
        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Count => _ids.Count;

    /// <summary>How many ids were dropped because the count bound was hit (each could let a duplicate through).</summary>
    public long Overflowed { get; private set; }

    public bool Contains(string id) => _ids.Contains(id);

    public bool Contains(ReadOnlySpan<byte> utf8Id)
    {
        if (utf8Id.Length <= 256)
        {
            Span<char> chars = stackalloc char[256];
            int n = Encoding.UTF8.GetChars(utf8Id, chars);
            return _lookup.Contains(chars[..n]);
        }

        return _ids.Contains(Encoding.UTF8.GetString(utf8Id));
    }

    public bool Add(string id, DateTimeOffset eventTime)
    {
        if (!_ids.Add(id))
        {
            return false;
        }

        _byTime.Enqueue(id, eventTime.UtcTicks);
        while (_ids.Count > _capacity && _byTime.TryDequeue(out string? oldest, out _))
        {
            _ids.Remove(oldest);
            Overflowed++;
        }

        return true;
    }

    /// <summary>Forgets ids of events before <paramref name="time"/>.</summary>
    public void EvictBefore(DateTimeOffset time)
    {
        long ticks = time.UtcTicks;
        while (_byTime.TryPeek(out string? id, out long t) && t < ticks)
        {
            _byTime.Dequeue();
            _ids.Remove(id);
        }
    }

    public IEnumerable<(string Id, DateTimeOffset EventTime)> Entries()
        => _byTime.UnorderedItems.Select(x => (x.Element, new DateTimeOffset(x.Priority, TimeSpan.Zero)));
}
