using EventStream.Api;
using EventStream.Feed;
using EventStream.Feed.Internal;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Feed.Internal;

/// <summary>The head scan on its own: its queries, the 10,000 window's rollover, the end of a poll, the hold-back.</summary>
public class HeadScanTests
{
    private static readonly DateTimeOffset T0 = TestEvents.T0;
    private static readonly TimeSpan OneMs = TimeSpan.FromMilliseconds(1);
    private readonly FakeTimeProvider _time = new(T0.AddHours(1));

    private FeedOptions Options(int pageSize = 1_000, TimeSpan? holdBack = null)
        => new() { TimeProvider = _time, PageSize = pageSize, HoldBack = holdBack ?? TimeSpan.Zero };

    private FeedInstant Now => FeedInstant.Now(_time);

    private static PageScan FullPage(int size, DateTimeOffset last) => new() { Count = size, First = last, Last = last, AtLast = 1 };

    private static HeadRead Apply(HeadScan head, PageScan page) => head.Apply(page, T0.AddHours(1), T0.AddHours(1).AddSeconds(-30), live: false);

    [Fact]
    public void Plan_FromACursor_StartsOneMillisecondBeforeItAscending()
    {
        FeedOptions options = Options();
        var head = new HeadScan(options, new ServerBounds(options));
        head.StartAt(T0);

        EventsQuery query = head.Plan(Now, new ServerClock(_time));

        Assert.Equal(T0 - OneMs, query.Start);
        Assert.Null(query.End); // no Until, no hold-back
        Assert.Equal((0, 1_000, EventSort.Ascending), (query.From, query.Size, query.Sort));
    }

    [Fact]
    public void Apply_TenFullPages_RollsTheWindowOverToTheLastEventTimeAtOffsetZero()
    {
        FeedOptions options = Options();
        var head = new HeadScan(options, new ServerBounds(options));
        var clock = new ServerClock(_time);
        head.StartAt(T0);
        for (int page = 0; page < 10; page++)
        {
            EventsQuery query = head.Plan(Now, clock);
            Assert.Equal((T0 - OneMs, page * 1_000), (query.Start, query.From));
            HeadRead read = Apply(head, FullPage(1_000, T0.AddMilliseconds(page + 1)));
            Assert.False(read.AtEnd);
        }

        EventsQuery next = head.Plan(Now, clock);

        Assert.Equal(T0.AddMilliseconds(10) - OneMs, next.Start); // from + size would pass 10,000: a new window
        Assert.Equal(0, next.From);
        Assert.Equal(T0.AddMilliseconds(10), head.Cursor);
        Assert.False(head.AtEnd);
    }

    [Fact]
    public void Apply_AWindowFullOfOneMillisecond_FailsNamingIt()
    {
        FeedOptions options = Options();
        var head = new HeadScan(options, new ServerBounds(options));
        var clock = new ServerClock(_time);
        head.StartAt(T0);
        for (int page = 0; page < 9; page++)
        {
            head.Plan(Now, clock);
            Apply(head, FullPage(1_000, T0));
        }

        head.Plan(Now, clock);
        var ex = Assert.Throws<FeedException>(() => Apply(head, FullPage(1_000, T0)));

        Assert.Contains("events share the millisecond 2024-05-14T09:00:00.000Z", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_AWindowFullOfOneMillisecondOnAnInclusiveServer_DropsTheOverlapOnceThenFails()
    {
        FeedOptions options = Options();
        var bounds = new ServerBounds(options);
        var head = new HeadScan(options, bounds);
        var clock = new ServerClock(_time);
        head.StartAt(T0);
        bounds.Observe(new PageScan { SawEventAtQueryStart = true });
        for (int page = 0; page < 10; page++)
        {
            head.Plan(Now, clock);
            Apply(head, FullPage(1_000, T0));
        }

        EventsQuery again = head.Plan(Now, clock);
        Assert.Equal((T0, 0), (again.Start, again.From)); // start itself, not 1 ms before: the server includes it

        for (int page = 0; page < 9; page++)
        {
            Apply(head, FullPage(1_000, T0));
            head.Plan(Now, clock);
        }

        Assert.Throws<FeedException>(() => Apply(head, FullPage(1_000, T0)));
    }

    [Fact]
    public void Apply_AShortPage_EndsThePollAtTheLastEventRead()
    {
        FeedOptions options = Options();
        var head = new HeadScan(options, new ServerBounds(options));
        var clock = new ServerClock(_time);
        head.StartAt(T0);
        head.Plan(Now, clock);
        Apply(head, FullPage(1_000, T0.AddMilliseconds(5)));
        head.Plan(Now, clock);

        HeadRead read = Apply(head, new PageScan { Count = 3, First = T0.AddMilliseconds(6), Last = T0.AddMilliseconds(7), AtLast = 1, Total = 3 });

        Assert.True(read.AtEnd);
        Assert.True(head.AtEnd);
        Assert.Equal(T0.AddMilliseconds(5), read.CoverageStart); // the read began where the previous page ended
        EventsQuery next = head.Plan(Now, clock);
        Assert.Equal((T0.AddMilliseconds(7) - OneMs, 0), (next.Start, next.From));
    }

    [Fact]
    public void Apply_AFullPageTheTotalSaysIsTheLast_EndsThePollWithoutAnEmptyRequest()
    {
        FeedOptions options = Options(pageSize: 100);
        var head = new HeadScan(options, new ServerBounds(options));
        head.StartAt(T0);
        head.Plan(Now, new ServerClock(_time));

        HeadRead read = Apply(head, new PageScan { Count = 100, First = T0, Last = T0.AddMilliseconds(99), AtLast = 1, Total = 100 });

        Assert.True(read.AtEnd);
        Assert.Equal(0, read.Remaining);
    }

    [Fact]
    public void Plan_WithAKnownServerClock_HoldsBackTheNewestEvents()
    {
        FeedOptions options = Options(holdBack: TimeSpan.FromMilliseconds(500));
        var head = new HeadScan(options, new ServerBounds(options));
        var clock = new ServerClock(_time);
        DateTimeOffset serverNow = _time.GetUtcNow().AddSeconds(3); // the server's clock runs ahead of the local one
        clock.Observe(serverNow, _time.GetTimestamp());
        head.StartAt(T0);

        EventsQuery query = head.Plan(Now, clock);

        Assert.Equal(serverNow - TimeSpan.FromMilliseconds(500), query.End);
    }
}
