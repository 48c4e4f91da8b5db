namespace EventStream.Operators.Internal;

/// <summary>
/// Items kept in ascending key order, ties in insertion order, removed from the front. Built for nearly ordered
/// input (events a little out of order): an item in order is appended; one out of order is placed by a search from
/// the back (where it belongs, a few places up) and one block move. Cheaper than a heap for this shape.
/// </summary>
internal sealed class TimeOrderedBuffer<T>
{
    private Entry[] _entries = new Entry[16];
    private int _start;
    private int _end;

    public int Count => _end - _start;

    public void Add(T item, long key)
    {
        if (_end == _entries.Length)
        {
            MakeRoom();
        }

        int at = _end;
        if (_end > _start && _entries[_end - 1].Key > key)
        {
            at = UpperBound(key);
            Array.Copy(_entries, at, _entries, at + 1, _end - at);
        }

        _entries[at] = new Entry(item, key);
        _end++;
    }

    public bool TryPeek(out T item, out long key)
    {
        if (_end == _start)
        {
            item = default!;
            key = 0;
            return false;
        }

        ref Entry first = ref _entries[_start];
        item = first.Item;
        key = first.Key;
        return true;
    }

    public void RemoveFirst()
    {
        _entries[_start] = default;
        _start++;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    // The first index in [start, end) whose key is greater than key: after every equal key, so ties keep arrival order.
    // A late item usually belongs a few places from the back: step back by growing strides, then bisect the last stride.
    private int UpperBound(long key)
    {
        int high = _end - 1; // _entries[high].Key > key
        int stride = 1;
        int low = high - stride;
        while (low >= _start && _entries[low].Key > key)
        {
            high = low;
            stride <<= 1;
            low = high - stride;
        }

        low = Math.Max(low + 1, _start); // every index below low has key <= key (or is before start)
        while (low < high)
        {
            int mid = (int)((uint)(low + high) >> 1);
            if (_entries[mid].Key <= key)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }

        return low;
    }

    private void MakeRoom()
    {
        int count = Count;
        if (_start > 0 && count <= _entries.Length / 2)
        {
            Array.Copy(_entries, _start, _entries, 0, count);
            Array.Clear(_entries, count, _end - count);
        }
        else
        {
            var entries = new Entry[_entries.Length * 2];
            Array.Copy(_entries, _start, entries, 0, count);
            _entries = entries;
        }

        _start = 0;
        _end = count;
    }

    private readonly record struct Entry(T Item, long Key);
}
