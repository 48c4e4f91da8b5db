using System.Text;

namespace EventStream.Parsing.Internal;

/// <summary>
/// Returns one shared <see cref="string"/> per distinct UTF-8 value, so repeated values (client, account, brand,
/// source, action) are decoded and allocated once rather than once per event. Bounded: once full, values are
/// decoded without being cached. Not thread-safe; each reader owns one.
/// </summary>
internal sealed class Utf8StringCache
{
    private const int MaxValueLength = 128;
    private readonly Entry[] _entries;
    private readonly int _mask;
    private int _count;

    [ThreadStatic] private static Utf8StringCache? t_current;

    /// <summary>A cache for the current thread, for readers created without one: values are shared across pages too.</summary>
    public static Utf8StringCache ForCurrentThread => t_current ??= new Utf8StringCache();

    public Utf8StringCache(int capacity = 1024)
    {
        int size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacity * 2));
        _entries = new Entry[size];
        _mask = size - 1;
    }

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > MaxValueLength)
        {
            return Encoding.UTF8.GetString(utf8);
        }

        var hasher = default(HashCode);
        hasher.AddBytes(utf8);
        uint hash = (uint)hasher.ToHashCode();
        int index = (int)(hash & (uint)_mask);
        while (true)
        {
            ref Entry entry = ref _entries[index];
            if (entry.Value is null)
            {
                string value = Encoding.UTF8.GetString(utf8);
                if (_count < _entries.Length / 2)
                {
                    entry = new Entry(hash, utf8.ToArray(), value);
                    _count++;
                }

                return value;
            }

            if (entry.Hash == hash && utf8.SequenceEqual(entry.Utf8))
            {
                return entry.Value;
            }

            index = (index + 1) & _mask;
        }
    }

    private readonly record struct Entry(uint Hash, byte[] Utf8, string Value);
}
