namespace EventStream.Parsing;

/// <summary>One page of the Events API: its events in the order the API sent them, <c>total</c> and the request id.</summary>
/// <param name="Events">The page's events.</param>
/// <param name="Total">The number of hits for the query, when the API sent <c>total</c>.</param>
/// <param name="RequestId">The response's <c>x-amzn-RequestId</c>, when present.</param>
public sealed record EventPage(IReadOnlyList<IntileryEvent> Events, long? Total, string? RequestId)
{
    /// <summary>Reads a whole page body, without HTTP.</summary>
    /// <param name="body">The UTF-8 JSON body.</param>
    /// <param name="requestId">The request id to attach, if the body came from a response.</param>
    /// <returns>The page.</returns>
    /// <exception cref="EventPageFormatException">The body is malformed or truncated.</exception>
    public static EventPage Parse(ReadOnlySpan<byte> body, string? requestId = null)
    {
        var reader = new EventPageReader(body);
        var events = new List<IntileryEvent>();
        while (reader.MoveNext())
        {
            events.Add(reader.Materialize());
        }

        return new EventPage(events, reader.Total, requestId);
    }
}
