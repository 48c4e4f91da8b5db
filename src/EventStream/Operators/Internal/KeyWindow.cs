namespace EventStream.Operators.Internal;

/// <summary>
/// A set of 128-bit keys forgotten oldest first, allocation-free once grown: an open-addressing table (linear probing,
/// backward-shift delete, so no tombstones) holding the keys themselves — a lookup touches one or two cache lines and no
/// string — and a ring of the keys in arrival order (with their timestamps) that says which one to forget next.
/// </summary>
internal sealed class KeyWindow
{
    private UInt128[] _table;
    private int _mask;
    private UInt128[] _ring;
    private long[] _times;
    private int _head;
    private int _count;

    public KeyWindow(int initialCapacity = 1024)
    {
        int capacity = (int)Math.Max(16, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)initialCapacity));
        _ring = new UInt128[capacity];
        _times = new long[capacity];
        _table = new UInt128[capacity * 2];
        _mask = _table.Length - 1;
    }

    public int Count => _count;

    /// <summary>Adds a key unless present.</summary>
    /// <returns><see langword="false"/> when the key is already in the window.</returns>
    public bool Add(UInt128 key, long timestamp)
    {
        key = key == UInt128.Zero ? UInt128.One : key; // zero marks an empty slot
        int i = (int)(ulong)key & _mask;
        while (true)
        {
            UInt128 slot = _table[i];
            if (slot == key)
            {
                return false;
            }

            if (slot == UInt128.Zero)
            {
                break;
            }

            i = (i + 1) & _mask;
        }

        if (_count == _ring.Length)
        {
            Grow();
            return Add(key, timestamp);
        }

        _table[i] = key;
        int tail = (_head + _count) & (_ring.Length - 1);
        _ring[tail] = key;
        _times[tail] = timestamp;
        _count++;
        return true;
    }

    /// <summary>The oldest key's timestamp.</summary>
    public bool TryPeekOldest(out long timestamp)
    {
        timestamp = _count == 0 ? 0 : _times[_head];
        return _count != 0;
    }

    /// <summary>Forgets the oldest key.</summary>
    public void RemoveOldest()
    {
        UInt128 key = _ring[_head];
        _head = (_head + 1) & (_ring.Length - 1);
        _count--;
        int i = (int)(ulong)key & _mask;
        while (_table[i] != key)
        {
            i = (i + 1) & _mask;
        }

        // Backward-shift delete: pull later members of the probe run into the hole when the hole lies on their path.
        int j = i;
        while (true)
        {
            j = (j + 1) & _mask;
            UInt128 next = _table[j];
            if (next == UInt128.Zero)
            {
                break;
            }

            int home = (int)(ulong)next & _mask;
            bool onPath = i <= j ? (home <= i || home > j) : (home <= i && home > j);
            if (onPath)
            {
                _table[i] = next;
                i = j;
            }
        }

        _table[i] = UInt128.Zero;
    }

    private void Grow()
    {
        var ring = new UInt128[_ring.Length * 2];
        var times = new long[_times.Length * 2];
        for (int k = 0; k < _count; k++)
        {
            int from = (_head + k) & (_ring.Length - 1);
            ring[k] = _ring[from];
            times[k] = _times[from];
        }

        _ring = ring;
        _times = times;
        _head = 0;
        _table = new UInt128[ring.Length * 2];
        _mask = _table.Length - 1;
        for (int k = 0; k < _count; k++)
        {
            int i = (int)(ulong)ring[k] & _mask;
            while (_table[i] != UInt128.Zero)
            {
                i = (i + 1) & _mask;
            }

            _table[i] = ring[k];
        }
    }
}
