using EventStream.Api;
using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Feed.Internal;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Feed.Internal;

/// <summary>Where a feed starts: checkpoint, beginning, a time (no request), or the latest N read newest first.</summary>
public class StartReadTests
{
    private static readonly DateTimeOffset T0 = TestEvents.T0;
    private readonly FakeTimeProvider _time = new(T0.AddHours(1));
    private readonly DedupeWindow _dedupe = new(1_000);

    private StartRead Start(FeedStart start, FeedCheckpoint? resume = null, int pageSize = 100)
    {
        var options = new FeedOptions { TimeProvider = _time, Start = start, PageSize = pageSize, HoldBack = TimeSpan.FromMilliseconds(500) };
        return new StartRead(options, new ServerBounds(options), _dedupe, resume, FeedPlanner.KeyOf(options));
    }

    private static PageScan Page(params EventStream.Parsing.IntileryEvent[] newestFirst)
    {
        var page = new PageScan { Count = newestFirst.Length, First = newestFirst.FirstOrDefault()?.EventTime };
        page.Accepted.AddRange(newestFirst);
        return page;
    }

    [Fact]
    public void Resolve_AtATime_StartsTheHeadAndTheSweepThereWithoutARequest()
    {
        StartRead start = Start(FeedStart.At(T0));

        StartPosition position = start.Resolve();

        Assert.False(start.NeedsReading);
        Assert.Equal((T0, T0, T0), (position.Cursor, position.Floor, position.SweepPosition));
        Assert.Empty(position.Events);
    }

    [Fact]
    public void Resolve_ACheckpointForOtherFilters_FailsNamingBoth()
    {
        var checkpoint = new FeedCheckpoint(T0, T0, null, [], "include=email_opened;exclude=");
        StartRead start = Start(FeedStart.Beginning, checkpoint);

        var ex = Assert.Throws<FeedException>(() => start.Resolve());

        Assert.Contains("include=email_opened;exclude=", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_TheLatest_ReadsNewestFirstHeldBackByTheLocalClock()
    {
        StartRead start = Start(FeedStart.Latest(3));

        EventsQuery query = start.Plan(FeedInstant.Now(_time));

        Assert.True(start.NeedsReading);
        Assert.Equal((EventSort.Descending, 0, 3), (query.Sort, query.From, query.Size));
        Assert.Null(query.Start);
        Assert.Equal(T0.AddHours(1).AddMilliseconds(-500), query.End);
    }

    [Fact]
    public void Apply_TheLatestThree_DeliversThemOldestFirstAndGoesOnFromTheNewest()
    {
        StartRead start = Start(FeedStart.Latest(3));
        start.Plan(FeedInstant.Now(_time));

        StartPosition? position = start.Apply(Page(TestEvents.Make("c", 30), TestEvents.Make("b", 20), TestEvents.Make("a", 10)), settled: T0);

        Assert.NotNull(position);
        Assert.Equal(["a", "b", "c"], position.Value.Events.Select(e => e.EventId));
        Assert.Equal((T0.AddMilliseconds(30), T0.AddMilliseconds(30)), (position.Value.Cursor, position.Value.HighWater));
        Assert.Equal(T0.AddMilliseconds(10), position.Value.SweepPosition); // the oldest delivered: nothing before is wanted
        Assert.Equal(3, _dedupe.Count);
    }

    [Fact]
    public void Reset_AfterAFailedSecondPage_BeginsTheReadAgain()
    {
        StartRead start = Start(FeedStart.Latest(3), pageSize: 2);
        start.Plan(FeedInstant.Now(_time));
        Assert.Null(start.Apply(Page(TestEvents.Make("c", 30), TestEvents.Make("b", 20)), settled: T0));
        EventsQuery second = start.Plan(FeedInstant.Now(_time));
        Assert.Equal((2, 1), (second.From, second.Size));

        start.Reset(); // the second page's request failed
        _time.Advance(TimeSpan.FromSeconds(1));
        EventsQuery again = start.Plan(FeedInstant.Now(_time));

        Assert.Equal((0, 2), (again.From, again.Size));
        Assert.Equal(T0.AddHours(1).AddSeconds(1).AddMilliseconds(-500), again.End); // its end taken anew
    }
}
