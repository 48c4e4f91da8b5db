namespace EventStream.Cli.Plans;

/// <summary>Splits an NDJSON stream into lines (without their <c>\n</c> or <c>\r\n</c>), blank lines skipped, in one growing pooled-size buffer.</summary>
internal static class NdjsonLines
{
    public delegate void LineHandler(ReadOnlySpan<byte> line);

    /// <summary>Calls <paramref name="onLine"/> for each line; <paramref name="onProgress"/> with the bytes read so far, about every 4 MB.</summary>
    public static async Task ReadAsync(Stream input, LineHandler onLine, Action<long>? onProgress, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[1 << 20];
        int filled = 0;
        long total = 0;
        long reported = 0;
        while (true)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2); // a line longer than the buffer
            }

            int read = await input.ReadAsync(buffer.AsMemory(filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                if (filled > 0)
                {
                    Line(buffer.AsSpan(0, filled), onLine);
                }

                onProgress?.Invoke(total);
                return;
            }

            total += read;
            filled += read;
            int consumed = Lines(buffer.AsSpan(0, filled), onLine);
            Buffer.BlockCopy(buffer, consumed, buffer, 0, filled - consumed);
            filled -= consumed;
            if (onProgress is not null && total - reported >= 4 << 20)
            {
                reported = total;
                onProgress(total);
            }
        }
    }

    private static int Lines(ReadOnlySpan<byte> data, LineHandler onLine)
    {
        int consumed = 0;
        while (true)
        {
            int newline = data[consumed..].IndexOf((byte)'\n');
            if (newline < 0)
            {
                return consumed;
            }

            Line(data.Slice(consumed, newline), onLine);
            consumed += newline + 1;
        }
    }

    private static void Line(ReadOnlySpan<byte> line, LineHandler onLine)
    {
        if (line.Length > 0 && line[^1] == (byte)'\r')
        {
            line = line[..^1];
        }

        if (!line.Trim(" \t"u8).IsEmpty)
        {
            onLine(line);
        }
    }
}
