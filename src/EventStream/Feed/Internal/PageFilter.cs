using EventStream.Api;
using EventStream.Api.Internal;
using EventStream.Parsing;
using EventStream.Parsing.Internal;
using static EventStream.Feed.Internal.EventTimes;

namespace EventStream.Feed.Internal;

/// <summary>
/// Reads a page while it sits in the client's pooled buffer: reads headers, drops events already delivered (or before
/// the start, or at or after Until) without allocating, materializes the rest, and notes what the page says about
/// position and time. It runs inside the client's attempt, so it changes nothing but its own scratch buffers: a failed
/// attempt leaves no trace. It also reports each unreadable event once.
/// </summary>
internal sealed class PageFilter(FeedOptions options, DedupeWindow dedupe)
{
    /// <summary>The parser the client calls with a filter and the window of the query it answers.</summary>
    public static readonly PageParser<(PageFilter Filter, PageWindow Window), PageScan> Parser =
        static (ReadOnlySpan<byte> body, in ResponseInfo info, (PageFilter Filter, PageWindow Window) state) => state.Filter.Parse(body, info, state.Window);

    private readonly TimeProvider _time = options.TimeProvider;
    private readonly Utf8StringCache _strings = new();
    private readonly EventBytes _bytes = new();

    /// <summary>Scratch: the ids of the page being read, so that a page repeating an event delivers it once.</summary>
    private readonly HashSet<UInt128> _pageIds = [];

    /// <summary>Scratch: the unreadable events of the page being read.</summary>
    private readonly List<UnreadableEventInfo> _unreadable = [];

    /// <summary>Unreadable events already reported (bounded: at worst an old one is reported twice).</summary>
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);

    /// <summary>Unreadable events reported.</summary>
    public long Unreadable { get; private set; }

    public PageScan Parse(ReadOnlySpan<byte> body, in ResponseInfo info, PageWindow window)
    {
        var page = new PageScan { Date = info.Date, Timestamp = _time.GetTimestamp(), SentTimestamp = info.SentTimestamp };
        _pageIds.Clear();
        _unreadable.Clear();
        var reader = new EventPageReader(body, default, _bytes, _strings, _unreadable);
        while (reader.MoveNext())
        {
            EventHeader header = reader.Header;
            DateTimeOffset time = header.EventTime;
            page.Count++;
            page.First ??= time;
            page.AtLast = page.Last == time ? page.AtLast + 1 : 1;
            page.Last = time;
            if (header.ReceivedTime is { } received && (page.MaxReceived is null || received > page.MaxReceived))
            {
                page.MaxReceived = received;
            }

            if (window.QueryStart is { } qs && time == qs)
            {
                page.SawEventAtQueryStart = true;
            }

            if (window.QueryEnd is { } qe && time == qe)
            {
                page.SawEventAtQueryEnd = true;
            }

            if (dedupe.Contains(reader.IdKey()) || time < window.KeepFrom)
            {
                page.Duplicates++;
                continue;
            }

            if ((window.Floor is { } floor && time < floor) || (options.Until is { } until && time >= until))
            {
                continue;
            }

            IntileryEvent e = reader.Materialize(options.Catalog);
            if (!_pageIds.Add(e.Key))
            {
                page.Duplicates++;
                continue;
            }

            page.Accepted.Add(e);
        }

        page.Total = reader.Total;
        _bytes.Reset(); // the last chunk now belongs to the page's events alone: an idle feed holds none of it
        if (_unreadable.Count > 0)
        {
            page.Count += _unreadable.Count; // they hold places in the page: `from` offsets count them
            page.Unreadable = new List<UnreadableEvent>(_unreadable.Count);
            foreach (UnreadableEventInfo u in _unreadable)
            {
                page.Unreadable.Add(new UnreadableEvent(u.Reason, info.RequestId, u.Start, System.Text.Encoding.UTF8.GetString(body.Slice(u.Start, u.Length))));
            }
        }

        return page;
    }

    /// <summary>Tells <paramref name="onUnreadable"/> of each of the page's unreadable events not reported before.</summary>
    public void Report(PageScan page, Action<UnreadableEvent>? onUnreadable)
    {
        if (page.Unreadable is not { } unreadable)
        {
            return;
        }

        foreach (UnreadableEvent e in unreadable)
        {
            if (_reported.Count >= 10_000)
            {
                _reported.Clear();
            }

            if (_reported.Add(e.Json))
            {
                Unreadable++;
                onUnreadable?.Invoke(e);
            }
        }
    }
}

/// <summary>What the filter must know of the query a page answers, taken when the query is planned.</summary>
/// <param name="KeepFrom">Events before it are final and their ids forgotten: dropped as duplicates.</param>
/// <param name="Floor">Events before it are not wanted (the start position).</param>
/// <param name="QueryStart">The query's start as sent (whole milliseconds).</param>
/// <param name="QueryEnd">The query's end as sent (whole milliseconds).</param>
internal readonly record struct PageWindow(DateTimeOffset KeepFrom, DateTimeOffset? Floor, DateTimeOffset? QueryStart, DateTimeOffset? QueryEnd)
{
    public static PageWindow For(EventsQuery query, DateTimeOffset keepFrom, DateTimeOffset? floor)
        => new(keepFrom, floor, query.Start is { } s ? TruncateToMs(s) : null, query.End is { } e ? TruncateToMs(e) : null);
}
