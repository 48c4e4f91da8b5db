using EventStream.Api;
using static EventStream.Feed.Internal.EventTimes;

namespace EventStream.Feed.Internal;

/// <summary>
/// What the API's queries reach, as this feed has seen it: whether the server treats <c>start</c> and <c>end</c> as
/// inclusive (documented: exclusive; learnt from events seen at a bound), how a query's bounds are rounded to whole
/// milliseconds, which event times a query's <c>total</c> counts, and how a scan moves past the 10,000 result window.
/// </summary>
internal sealed class ServerBounds(FeedOptions options)
{
    /// <summary>An event was seen at a query's <c>start</c>: the server includes it.</summary>
    private bool _startSeenInclusive;

    /// <summary>An event was seen at a query's <c>end</c>: the server includes it.</summary>
    private bool _endSeenInclusive;

    public bool StartSeenInclusive => _startSeenInclusive;

    /// <summary>Learns from a page what its query's bounds included.</summary>
    public void Observe(PageScan page)
    {
        _startSeenInclusive |= page.SawEventAtQueryStart;
        _endSeenInclusive |= page.SawEventAtQueryEnd;
    }

    // The API's times have whole milliseconds and the query formats them truncated: a start rounds down (reads a little
    // more), but an end must round *up*, or events in the end's own millisecond (before a sub-millisecond end such as
    // Until or a settle horizon) would be cut off. What the rounding lets in is filtered or deduplicated.
    public EventsQuery Query(DateTimeOffset? start, DateTimeOffset? end, int from, int size, EventSort sort)
    {
        DateTimeOffset? roundedEnd = end is { } e ? CeilingToMs(e) : null;
        return new()
        {
            Include = options.Include,
            Exclude = options.Exclude,
            Start = start,
            End = roundedEnd is { } re && start is { } s && re <= s ? CeilingToMs(s + OneMs) : roundedEnd,
            Sort = sort,
            From = from,
            Size = size,
        };
    }

    // The event times a query's total counts, as far as this feed can tell: the documented reading (start and end
    // exclusive) unless the server has been seen to include an event at a bound. Times are whole milliseconds.
    public (DateTimeOffset From, DateTimeOffset To) CountedRange(EventsQuery query)
    {
        DateTimeOffset from = query.Start is { } s ? TruncateToMs(s) + (_startSeenInclusive ? TimeSpan.Zero : OneMs) : DateTimeOffset.MinValue;
        DateTimeOffset to = query.End is { } e ? TruncateToMs(e) + (_endSeenInclusive ? OneMs : TimeSpan.Zero) : DateTimeOffset.MaxValue;
        return (from, to);
    }

    // The window is full: continue from the last event time read. If that is where this window began, one
    // millisecond holds the whole window; on a server seen to treat start as inclusive, drop the 1 ms overlap once.
    public void RestartWindow(ref DateTimeOffset? start, ref int from, ref bool noOverlap, DateTimeOffset last)
    {
        if (start is { } s && last <= s)
        {
            if (_startSeenInclusive && !noOverlap)
            {
                noOverlap = true;
                from = 0;
                return;
            }

            throw new FeedException(
                $"More than {EventsQuery.ResultWindow:N0} events share the millisecond {EventsQuery.FormatTime(s)}; the API cannot page past them, so the feed stops rather than lose or repeat events.");
        }

        start = last;
        from = 0;
        noOverlap = false;
    }
}
