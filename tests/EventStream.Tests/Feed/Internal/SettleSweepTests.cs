using EventStream.Api;
using EventStream.Feed;
using EventStream.Feed.Internal;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Feed.Internal;

/// <summary>The settle sweep on its own: when a pass starts, a quiet slice confirmed by the total, a slice missing events.</summary>
public class SettleSweepTests
{
    private static readonly DateTimeOffset T0 = TestEvents.T0;
    private readonly FakeTimeProvider _time = new(T0.AddHours(1));
    private readonly DedupeWindow _dedupe = new(10_000);

    private SettleSweep Sweep(int pageSize = 100)
    {
        var options = new FeedOptions { TimeProvider = _time, PageSize = pageSize, MaxLateness = TimeSpan.FromSeconds(10), PollInterval = TimeSpan.FromSeconds(1) };
        var sweep = new SettleSweep(options, new ServerBounds(options), _dedupe);
        sweep.StartAt(T0);
        return sweep;
    }

    private void Know(int events, TimeSpan over)
    {
        for (int i = 0; i < events; i++)
        {
            _dedupe.Add("e" + i, T0 + (over * i / events));
        }
    }

    [Fact]
    public void MinSpan_IdleOrSlow_IsAQuarterOfMaxLatenessAtLeastASecond()
    {
        SettleSweep sweep = Sweep();

        Assert.Equal(TimeSpan.FromSeconds(2.5), sweep.MinSpan(liveRate: 0));
        Assert.Equal(TimeSpan.FromSeconds(2.5), sweep.MinSpan(liveRate: 100)); // a page per poll: not busy yet
    }

    [Fact]
    public void MinSpan_OnABusyFeed_HoldsHalfASliceOfEvents()
    {
        SettleSweep sweep = Sweep();

        Assert.Equal(TimeSpan.FromSeconds(5), sweep.MinSpan(liveRate: 500)); // 2,500 events at 500/s
    }

    [Fact]
    public void StartPassIfDue_BeforeASliceHasSettled_StartsNone()
    {
        SettleSweep sweep = Sweep();

        sweep.StartPassIfDue(T0.AddSeconds(2), liveRate: 0, finishing: false, target: null);
        Assert.False(sweep.InPass);

        sweep.StartPassIfDue(T0.AddSeconds(2), liveRate: 0, finishing: true, target: null);
        Assert.True(sweep.InPass); // finishing: the rest is read at once
    }

    [Fact]
    public void Apply_AQuietSliceWhoseTotalMatchesWhatIsKnown_EndsThePassInOneRequest()
    {
        SettleSweep sweep = Sweep();
        Know(150, TimeSpan.FromSeconds(3));
        sweep.StartPassIfDue(T0.AddSeconds(3), liveRate: 0, finishing: false, target: null);

        EventsQuery query = sweep.Plan();
        sweep.Apply(new PageScan { Count = 100, First = T0, Last = T0.AddSeconds(2), Total = 150, Duplicates = 100 });

        Assert.Equal((T0.AddMilliseconds(-1), T0.AddSeconds(3), 0), (query.Start, query.End, query.From));
        Assert.False(sweep.InPass);
        Assert.Equal(T0.AddSeconds(3), sweep.Position);
        Assert.Equal(1, sweep.Requests);
    }

    [Fact]
    public void Apply_ASliceMissingEvents_ReadsOnPageByPage()
    {
        SettleSweep sweep = Sweep();
        Know(150, TimeSpan.FromSeconds(3));
        sweep.StartPassIfDue(T0.AddSeconds(3), liveRate: 0, finishing: false, target: null);
        sweep.Plan();

        sweep.Apply(new PageScan { Count = 100, First = T0, Last = T0.AddSeconds(2), Total = 151, Duplicates = 100 });

        Assert.True(sweep.InPass);
        Assert.Equal(T0.AddSeconds(2), sweep.Position); // everything before the page's last event has been read again
        Assert.Equal(100, sweep.Plan().From);
    }

    [Fact]
    public void SkipSettled_OnlyFromWhereTheSweepHasReached()
    {
        SettleSweep sweep = Sweep();

        sweep.SkipSettled(coverageStart: T0.AddSeconds(1), finalTo: T0.AddSeconds(5));
        Assert.Equal(T0, sweep.Position); // a gap between the sweep and that read: it was not final there

        sweep.SkipSettled(coverageStart: T0, finalTo: T0.AddSeconds(5));
        Assert.Equal(T0.AddSeconds(5), sweep.Position);
    }
}
