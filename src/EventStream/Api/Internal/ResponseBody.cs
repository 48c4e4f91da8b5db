using System.Buffers;

namespace EventStream.Api.Internal;

/// <summary>
/// Reads a response body into an array of its own, sized to it: the page's events are views into that array
/// (nothing is copied per event), and it lives exactly as long as some event of the page does.
/// </summary>
internal static class ResponseBody
{
    /// <summary>Reads a stream to its end, up to <paramref name="maxBytes"/>.</summary>
    /// <param name="stream">The body.</param>
    /// <param name="contentLength">Its announced length, when known: the bytes are read straight into an array of that size.
    /// Unknown (chunked, or decompressed on the way), they are read into pooled buffers and copied once into an exact array.</param>
    /// <param name="maxBytes">The longest body accepted.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The body.</returns>
    /// <exception cref="ResponseTooLargeException">The body is longer than <paramref name="maxBytes"/>.</exception>
    /// <exception cref="IOException">The body is longer than its announced length.</exception>
    public static async ValueTask<ReadOnlyMemory<byte>> ReadAsync(Stream stream, long? contentLength, int maxBytes, CancellationToken cancellationToken)
    {
        if (contentLength is { } announced and >= 0)
        {
            if (announced > maxBytes)
            {
                throw new ResponseTooLargeException(maxBytes);
            }

            byte[] exact = GC.AllocateUninitializedArray<byte>((int)announced);
            int length = 0;
            while (length < exact.Length)
            {
                int read = await stream.ReadAsync(exact.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return exact.AsMemory(0, length); // shorter than announced: the parser reports it truncated
                }

                length += read;
            }

            byte[] probe = ArrayPool<byte>.Shared.Rent(1);
            try
            {
                if (await stream.ReadAsync(probe.AsMemory(0, 1), cancellationToken).ConfigureAwait(false) != 0)
                {
                    throw new IOException($"The body is longer than its announced length ({announced} bytes).");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(probe);
            }

            return exact;
        }

        byte[] buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        int total = 0;
        try
        {
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (total > maxBytes)
                    {
                        throw new ResponseTooLargeException(maxBytes);
                    }

                    byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, total).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read = await stream.ReadAsync(buffer.AsMemory(total), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                total += read;
                if (total > maxBytes)
                {
                    throw new ResponseTooLargeException(maxBytes);
                }
            }

            return buffer.AsSpan(0, total).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

internal sealed class ResponseTooLargeException(int maxBytes)
    : Exception($"The response body is larger than MaxResponseBytes ({maxBytes} bytes).");
