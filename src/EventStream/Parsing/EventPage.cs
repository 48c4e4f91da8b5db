using EventStream.Api.Internal;
using EventStream.Typed;

namespace EventStream.Parsing;

/// <summary>One page of the Events API: its events in the order the API sent them, <c>total</c> and the request id.</summary>
/// <param name="Events">The page's events.</param>
/// <param name="Total">The number of hits for the query, when the API sent <c>total</c>.</param>
/// <param name="RequestId">The response's <c>x-amzn-RequestId</c>, when present.</param>
public sealed record EventPage(IReadOnlyList<IntileryEvent> Events, long? Total, string? RequestId)
{
    /// <summary>Reads a whole page body, without HTTP, decoding planned events into their typed classes when a catalog is given.</summary>
    /// <param name="body">The UTF-8 JSON body.</param>
    /// <param name="catalog">The catalog that types planned events (e.g. <see cref="IntileryEvents.Catalog"/>), or <see langword="null"/> to keep every event untyped.</param>
    /// <param name="requestId">The request id to attach, if the body came from a response.</param>
    /// <returns>The page; unplanned events are <see cref="IntileryEvent"/>s.</returns>
    /// <exception cref="EventPageFormatException">The body is malformed or truncated.</exception>
    /// <remarks>The events' JSON is copied out of <paramref name="body"/> (into arrays the page's events share), so the caller may reuse it.</remarks>
#pragma warning disable RS0026 // the two overloads differ in the body's type (a span is copied, memory is sliced); no call binds to both
    public static EventPage Parse(ReadOnlySpan<byte> body, EventCatalog? catalog = null, string? requestId = null)
        => Read(new EventPageReader(body), catalog, requestId);

    /// <summary>Reads a whole page body whose events are views into it (no bytes are copied).</summary>
    /// <param name="body">The UTF-8 JSON body; it must not change while an event read from it is in use.</param>
    /// <param name="catalog">The catalog that types planned events (e.g. <see cref="IntileryEvents.Catalog"/>), or <see langword="null"/> to keep every event untyped.</param>
    /// <param name="requestId">The request id to attach, if the body came from a response.</param>
    /// <returns>The page; unplanned events are <see cref="IntileryEvent"/>s.</returns>
    /// <exception cref="EventPageFormatException">The body is malformed or truncated.</exception>
    public static EventPage Parse(ReadOnlyMemory<byte> body, EventCatalog? catalog = null, string? requestId = null)
#pragma warning restore RS0026
        => Read(new EventPageReader(body), catalog, requestId);

    private static EventPage Read(EventPageReader reader, EventCatalog? catalog, string? requestId)
    {
        var events = new List<IntileryEvent>();
        while (reader.MoveNext())
        {
            events.Add(reader.Materialize(catalog));
        }

        return new EventPage(events, reader.Total, requestId);
    }

    /// <summary>Reads a page body from a stream (a saved response, a file), without HTTP.</summary>
    /// <param name="body">The stream; read to its end, not disposed.</param>
    /// <param name="catalog">The catalog that types planned events, or <see langword="null"/> to keep every event untyped.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The page.</returns>
    /// <exception cref="EventPageFormatException">The body is malformed, truncated, or longer than 256 MB.</exception>
    public static async ValueTask<EventPage> ParseAsync(Stream body, EventCatalog? catalog = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        PooledBody buffer;
        try
        {
            buffer = await PooledBody.ReadAsync(body, body.CanSeek ? body.Length - body.Position : null, MaxStreamBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (ResponseTooLargeException ex)
        {
            throw new EventPageFormatException($"the page is longer than {MaxStreamBytes} bytes", ex);
        }

        using (buffer)
        {
            return Parse(buffer.Span, catalog);
        }
    }

    private const int MaxStreamBytes = 256 * 1024 * 1024;
}
