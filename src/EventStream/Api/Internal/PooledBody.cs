using System.Buffers;

namespace EventStream.Api.Internal;

/// <summary>A response body read into a buffer rented from <see cref="ArrayPool{T}"/>; dispose to return it.</summary>
internal struct PooledBody : IDisposable
{
    private byte[]? _buffer;

    private PooledBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public readonly ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>Reads a stream to its end, growing the rented buffer as needed, up to <paramref name="maxBytes"/>.</summary>
    /// <exception cref="ResponseTooLargeException">The body is longer than <paramref name="maxBytes"/>.</exception>
    public static async ValueTask<PooledBody> ReadAsync(Stream stream, long? contentLength, int maxBytes, CancellationToken cancellationToken)
    {
        int initial = contentLength is > 0 and <= int.MaxValue ? (int)Math.Min(contentLength.Value + 1, maxBytes + 1L) : 64 * 1024;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(initial);
        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (length > maxBytes)
                    {
                        throw new ResponseTooLargeException(maxBytes);
                    }

                    byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, maxBytes + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
                if (length > maxBytes)
                {
                    throw new ResponseTooLargeException(maxBytes);
                }
            }

            return new PooledBody(buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

internal sealed class ResponseTooLargeException(int maxBytes)
    : Exception($"The response body is larger than MaxResponseBytes ({maxBytes} bytes).");
