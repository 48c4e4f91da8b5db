namespace EventStream.Parsing.Internal;

/// <summary>
/// Where events read from a buffer that is not theirs to keep (a pooled response body, a caller's span) keep their JSON:
/// copied into shared chunks of at most 64 KB, sized to what is left of the page, so a page's events take one or two
/// arrays instead of one each, and no chunk reaches the large-object heap (85,000 bytes), whose arrays are freed only by
/// full collections: reading every page into an array of its own made every collection a gen-2 one (measured: 193 of
/// 193 over 6,000 pages) and cost more CPU per event than it saved.
/// </summary>
internal sealed class EventBytes
{
    public const int MaxChunk = 64 * 1024;
    private byte[]? _chunk;
    private int _used;

    /// <summary>Starts a new page: its events do not share a chunk with the previous page's.</summary>
    public void Reset()
    {
        _chunk = null;
        _used = 0;
    }

    /// <summary>Copies one event's JSON.</summary>
    /// <param name="json">The event's bytes.</param>
    /// <param name="pageBytesLeft">The page's bytes from this event on: no more than this is left to copy.</param>
    /// <returns>The copy.</returns>
    public ReadOnlyMemory<byte> Copy(ReadOnlySpan<byte> json, int pageBytesLeft)
    {
        if (_chunk is null || _chunk.Length - _used < json.Length)
        {
            if (json.Length > MaxChunk)
            {
                return json.ToArray();
            }

            _chunk = GC.AllocateUninitializedArray<byte>(Math.Clamp(pageBytesLeft, json.Length, MaxChunk));
            _used = 0;
        }

        json.CopyTo(_chunk.AsSpan(_used));
        var copy = new ReadOnlyMemory<byte>(_chunk, _used, json.Length);
        _used += json.Length;
        return copy;
    }
}
