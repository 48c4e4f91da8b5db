using System.Text;
using EventStream.Api.Internal;
using EventStream.Feed;
using EventStream.Feed.Internal;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Feed.Internal;

/// <summary>The page filter: what a page's events are kept, what it notes of the page, unreadable events reported once.</summary>
public class PageFilterTests
{
    private static readonly DateTimeOffset T0 = TestEvents.T0;
    private readonly FakeTimeProvider _time = new(T0.AddHours(1));
    private readonly DedupeWindow _dedupe = new(1_000);
    private readonly SyntheticEvents _events = new(3);

    private PageFilter Filter(DateTimeOffset? until = null) => new(new FeedOptions { TimeProvider = _time, Until = until }, _dedupe);

    private SimulatedEvent At(int ms) => _events.Create(T0.AddMilliseconds(ms), T0.AddMilliseconds(ms + 100));

    private PageScan Parse(PageFilter filter, byte[] body, PageWindow window)
        => filter.Parse(body, new ResponseInfo("req-1", T0.AddHours(1), _time.GetTimestamp()), window);

    [Fact]
    public void Parse_KeepsOnlyEventsNotDeliveredAndWanted()
    {
        SimulatedEvent known = At(5), tooOld = At(1), beforeFloor = At(3), kept = At(6), atUntil = At(9);
        _dedupe.Add(known.EventId, known.EventTime);
        PageFilter filter = Filter(until: T0.AddMilliseconds(9));
        var window = new PageWindow(KeepFrom: T0.AddMilliseconds(2), Floor: T0.AddMilliseconds(4), QueryStart: null, QueryEnd: null);

        PageScan page = Parse(filter, SyntheticEvents.Page([tooOld, beforeFloor, known, kept, kept, atUntil], total: 6), window);

        Assert.Equal([kept.EventId], page.Accepted.Select(e => e.EventId));
        Assert.Equal(3, page.Duplicates); // before KeepFrom (final, forgotten), known, and repeated in the page
        Assert.Equal((6, 6L), (page.Count, page.Total));
        Assert.Equal((T0.AddMilliseconds(1), T0.AddMilliseconds(9)), (page.First, page.Last));
        Assert.Equal(T0.AddMilliseconds(109), page.MaxReceived);
    }

    [Fact]
    public void Parse_AnEventAtTheQueryStart_IsNotedForTheBoundsModel()
    {
        SimulatedEvent e = At(5);
        PageFilter filter = Filter();

        PageScan atStart = Parse(filter, SyntheticEvents.Page([e]), new PageWindow(DateTimeOffset.MinValue, null, T0.AddMilliseconds(5), null));
        PageScan after = Parse(filter, SyntheticEvents.Page([e]), new PageWindow(DateTimeOffset.MinValue, null, T0.AddMilliseconds(4), null));

        Assert.True(atStart.SawEventAtQueryStart);
        Assert.False(after.SawEventAtQueryStart);
        Assert.Equal(2, atStart.AtLast + after.AtLast);
    }

    [Fact]
    public void Report_AnUnreadableEventReadTwice_TellsOfItOnce()
    {
        byte[] body = Encoding.UTF8.GetBytes("{\"data\":[{\"eventAction\":\"page\",\"eventTime\":\"2024-05-14T09:00:00.000Z\"}],\"total\":1}");
        PageFilter filter = Filter();
        var told = new List<UnreadableEvent>();

        PageScan first = Parse(filter, body, default);
        filter.Report(first, told.Add);
        filter.Report(Parse(filter, body, default), told.Add);

        Assert.Equal(1, first.Count); // it holds its place in the page: `from` offsets count it
        Assert.Single(told);
        Assert.Equal(1, filter.Unreadable);
        Assert.Equal("req-1", told[0].RequestId);
    }
}
