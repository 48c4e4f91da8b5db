namespace EventStream.Operators.Internal;

/// <summary>
/// Items kept in ascending key order, ties in insertion order, removed from the front. Built for nearly ordered
/// input (events a little out of order): an item in order is appended, one out of order is placed by binary search
/// and a block move. Cheaper than a heap for this shape: no per-item comparisons beyond the search.
/// </summary>
internal sealed class TimeOrderedBuffer<T>
{
    private T[] _items = new T[16];
    private long[] _keys = new long[16];
    private int _start;
    private int _end;

    public int Count => _end - _start;

    public void Add(T item, long key)
    {
        if (_end == _items.Length)
        {
            MakeRoom();
        }

        int at = _end;
        if (_end > _start && _keys[_end - 1] > key)
        {
            at = UpperBound(key);
            Array.Copy(_items, at, _items, at + 1, _end - at);
            Array.Copy(_keys, at, _keys, at + 1, _end - at);
        }

        _items[at] = item;
        _keys[at] = key;
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

        item = _items[_start];
        key = _keys[_start];
        return true;
    }

    public void RemoveFirst()
    {
        _items[_start] = default!;
        _start++;
        if (_start == _end)
        {
            _start = _end = 0;
        }
    }

    // The first index in [start, end) whose key is greater than key: after every equal key, so ties keep arrival order.
    private int UpperBound(long key)
    {
        int low = _start, high = _end;
        while (low < high)
        {
            int mid = (int)((uint)(low + high) >> 1);
            if (_keys[mid] <= key)
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
        if (_start > 0 && count <= _items.Length / 2)
        {
            Array.Copy(_items, _start, _items, 0, count);
            Array.Copy(_keys, _start, _keys, 0, count);
            Array.Clear(_items, count, _end - count);
        }
        else
        {
            var items = new T[_items.Length * 2];
            var keys = new long[_keys.Length * 2];
            Array.Copy(_items, _start, items, 0, count);
            Array.Copy(_keys, _start, keys, 0, count);
            _items = items;
            _keys = keys;
        }

        _start = 0;
        _end = count;
    }
}
