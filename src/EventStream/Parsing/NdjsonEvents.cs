using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using EventStream.Parsing.Internal;
using EventStream.Typed;

namespace EventStream.Parsing;

/// <summary>
/// Reads newline-delimited JSON events — what <c>eventstream tail --format ndjson</c> writes, one event object per line —
/// from bytes or a stream, without HTTP: for replays, files and tests. Any whitespace may separate events, so
/// pretty-printed events (one object over several lines, as in Intilery's documentation) read too.
/// </summary>
/// <example>
/// <code>
/// await using var file = File.OpenRead("events.ndjson");
/// await foreach (IntileryEvent e in NdjsonEvents.ReadAsync(file, IntileryEvents.Catalog))
/// {
///     if (e is IntileryEvents.OrderCompleted order) Console.WriteLine(order.Revenue);
/// }
/// </code>
/// </example>
public static class NdjsonEvents
{
    /// <summary>The longest event accepted: 16 MB (the API caps a whole response at 1 MB).</summary>
    public const int MaxLineBytes = 16 * 1024 * 1024;

    private const int InitialBufferBytes = 64 * 1024;

    /// <summary>Reads every event in <paramref name="ndjson"/>, in order.</summary>
    /// <param name="ndjson">The UTF-8 text.</param>
    /// <param name="catalog">The catalog that types planned events (e.g. <see cref="IntileryEvents.Catalog"/>), or <see langword="null"/> to keep them untyped.</param>
    /// <returns>The events.</returns>
    /// <exception cref="EventPageFormatException">An event is not valid; the message names the line it starts on.</exception>
    public static IReadOnlyList<IntileryEvent> Read(ReadOnlySpan<byte> ndjson, EventCatalog? catalog = null)
    {
        var events = new List<IntileryEvent>();
        int line = 1;
        while (Next(ref ndjson, isFinalBlock: true, ref line, catalog, out IntileryEvent? e))
        {
            events.Add(e!);
        }

        return events;
    }

    /// <summary>Reads events from a stream as they arrive (a file, a pipe from <c>eventstream tail</c>), holding one event's bytes at a time.</summary>
    /// <param name="ndjson">The stream; read to its end, not disposed.</param>
    /// <param name="catalog">The catalog that types planned events, or <see langword="null"/> to keep them untyped.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <returns>The events, in order.</returns>
    /// <exception cref="EventPageFormatException">An event is not valid, or is longer than <see cref="MaxLineBytes"/>; the message names the line it starts on.</exception>
    public static async IAsyncEnumerable<IntileryEvent> ReadAsync(
        Stream ndjson,
        EventCatalog? catalog = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ndjson);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
        try
        {
            int start = 0, end = 0, line = 1;
            bool eof = false;
            while (true)
            {
                ReadOnlySpan<byte> pending = buffer.AsSpan(start, end - start);
                int before = pending.Length;
                if (Next(ref pending, eof, ref line, catalog, out IntileryEvent? e))
                {
                    start += before - pending.Length;
                    yield return e!;
                    continue;
                }

                start += before - pending.Length; // whitespace consumed
                if (eof)
                {
                    yield break;
                }

                if (start > 0)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }

                if (end == buffer.Length)
                {
                    if (buffer.Length >= MaxLineBytes)
                    {
                        throw new EventPageFormatException($"line {line}: an event longer than {MaxLineBytes} bytes");
                    }

                    byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, MaxLineBytes));
                    buffer.AsSpan(0, end).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read = await ndjson.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
                eof = read == 0;
                end += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Reads the next event from the front of text, consuming it (and whitespace before it). False when text holds no
    // complete event (only whitespace, or — unless final — the start of one still arriving).
    private static bool Next(ref ReadOnlySpan<byte> text, bool isFinalBlock, ref int line, EventCatalog? catalog, out IntileryEvent? e)
    {
        e = null;
        int skip = 0;
        while (skip < text.Length && text[skip] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            line += text[skip] == (byte)'\n' ? 1 : 0;
            skip++;
        }

        text = text[skip..];
        if (text.IsEmpty)
        {
            return false;
        }

        var reader = new Utf8JsonReader(text, isFinalBlock, new JsonReaderState(JsonLimits.Reader));
        int length;
        try
        {
            if (!reader.Read() || !reader.TrySkip())
            {
                if (isFinalBlock)
                {
                    throw new EventPageFormatException($"line {line}: the event ends before its closing brace");
                }

                return false;
            }

            length = checked((int)reader.BytesConsumed);
        }
        catch (JsonException ex)
        {
            throw new EventPageFormatException($"line {line}: not valid JSON: {ex.Message}", ex);
        }

        ReadOnlySpan<byte> json = text[..length];
        try
        {
            e = IntileryEvent.Parse(json, catalog);
        }
        catch (EventPageFormatException ex)
        {
            throw new EventPageFormatException($"line {line}: {ex.Message}", ex);
        }

        line += json.Count((byte)'\n');
        text = text[length..];
        return true;
    }
}
