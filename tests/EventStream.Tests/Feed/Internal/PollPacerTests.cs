using EventStream.Feed;
using EventStream.Feed.Internal;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Feed.Internal;

/// <summary>When the head is polled once live: every PollInterval, sooner on a feed busier than a page per interval.</summary>
public class PollPacerTests
{
    private readonly FakeTimeProvider _time = new(TestEvents.T0);

    private PollPacer Pacer(int pageSize = 1_000) => new(new FeedOptions { TimeProvider = _time, PageSize = pageSize, PollInterval = TimeSpan.FromSeconds(1) });

    private PageScan Answered(int atLast = 1) => new() { SentTimestamp = _time.GetTimestamp(), Timestamp = _time.GetTimestamp(), AtLast = atLast };

    private long At(TimeSpan after) => _time.GetTimestamp() + (long)(after.TotalSeconds * _time.TimestampFrequency);

    [Fact]
    public void EndOfCycle_First_MakesTheNextPollDueAfterThePollInterval()
    {
        PollPacer pacer = Pacer();

        pacer.EndOfCycle(Answered(), unread: 0);

        Assert.True(pacer.IsLive);
        Assert.False(pacer.IsDue(At(TimeSpan.FromMilliseconds(999))));
        Assert.True(pacer.IsDue(At(TimeSpan.FromSeconds(1))));
        Assert.Equal(TimeSpan.FromMilliseconds(400), pacer.DueIn(At(TimeSpan.FromMilliseconds(600))));
    }

    [Fact]
    public void EndOfCycle_OnAQuietFeed_KeepsThePollInterval()
    {
        PollPacer pacer = Pacer();
        pacer.EndOfCycle(Answered(), unread: 0);
        _time.Advance(TimeSpan.FromSeconds(1));
        pacer.Count(50);

        pacer.EndOfCycle(Answered(), unread: 0);

        Assert.Equal(50, pacer.LiveRate);
        Assert.False(pacer.IsDue(At(TimeSpan.FromMilliseconds(999))));
    }

    [Fact]
    public void EndOfCycle_OnAFeedBusierThanAPagePerInterval_PollsWhenAboutAPageIsDue()
    {
        PollPacer pacer = Pacer();
        pacer.EndOfCycle(Answered(), unread: 0);
        _time.Advance(TimeSpan.FromSeconds(1));
        pacer.Count(2_000);

        pacer.EndOfCycle(Answered(atLast: 1), unread: 0);

        // 97% of a page less the event read again at the overlap, at 2,000 events/s: 969 / 2,000 s.
        Assert.Equal(2_000, pacer.LiveRate);
        Assert.False(pacer.IsDue(At(TimeSpan.FromMilliseconds(484))));
        Assert.True(pacer.IsDue(At(TimeSpan.FromMilliseconds(485))));
    }

    [Fact]
    public void EndOfCycle_AfterALongGap_DoesNotTakeTheRateFromIt()
    {
        PollPacer pacer = Pacer();
        pacer.EndOfCycle(Answered(), unread: 0);
        _time.Advance(TimeSpan.FromSeconds(3)); // more than two intervals: an outage or a stalled consumer, not a rate
        pacer.Count(6_000);

        pacer.EndOfCycle(Answered(), unread: 0);

        Assert.Equal(0, pacer.LiveRate);
        Assert.False(pacer.IsDue(At(TimeSpan.FromMilliseconds(999))));
    }
}
