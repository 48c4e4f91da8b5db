using EventStream.Feed.Internal;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Feed.Internal;

/// <summary>The server's clock as the feed estimates it: from receivedTime and Date, advanced by local monotonic time.</summary>
public class ServerClockTests
{
    private static readonly DateTimeOffset T0 = TestEvents.T0;

    // The local clock is an hour off the server's: the estimate must not use it.
    private readonly FakeTimeProvider _time = new(T0.AddHours(-1));

    [Fact]
    public void Now_BeforeAnyAnswer_IsUnknown()
    {
        var clock = new ServerClock(_time);

        Assert.False(clock.IsKnown);
        Assert.Equal(DateTimeOffset.MinValue, clock.Now);
    }

    [Fact]
    public void Observe_APageWithReceivedTimes_RunsOnFromTheNewestByLocalElapsedTime()
    {
        var clock = new ServerClock(_time);
        long sent = _time.GetTimestamp();
        _time.Advance(TimeSpan.FromMilliseconds(200)); // the request's round trip
        var page = new PageScan { MaxReceived = T0, SentTimestamp = sent, Timestamp = _time.GetTimestamp() };

        DateTimeOffset atQuery = clock.Observe(page);
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(T0, atQuery); // nothing earlier is known: the newest receivedTime bounds the query's time
        Assert.Equal(T0.AddSeconds(2), clock.Now);
    }

    [Fact]
    public void Observe_ADateHeader_CountsASecondLessThanItSays()
    {
        var clock = new ServerClock(_time);
        var page = new PageScan { Date = T0.AddSeconds(10), SentTimestamp = _time.GetTimestamp(), Timestamp = _time.GetTimestamp() };

        DateTimeOffset atQuery = clock.Observe(page);

        Assert.Equal(T0.AddSeconds(9), atQuery);
        Assert.Equal(T0.AddSeconds(9), clock.Now);
    }

    [Fact]
    public void Observe_AnOlderReceivedTimeLater_DoesNotMoveTheClockBack()
    {
        var clock = new ServerClock(_time);
        clock.Observe(new PageScan { MaxReceived = T0, Timestamp = _time.GetTimestamp(), SentTimestamp = _time.GetTimestamp() });
        _time.Advance(TimeSpan.FromSeconds(5));
        long sent = _time.GetTimestamp();

        DateTimeOffset atQuery = clock.Observe(new PageScan { MaxReceived = T0.AddSeconds(1), Timestamp = _time.GetTimestamp(), SentTimestamp = sent });

        Assert.Equal(T0.AddSeconds(5), atQuery); // the estimate when the request was sent beats the page's receivedTime
        Assert.Equal(T0.AddSeconds(5), clock.Now);
        Assert.Equal(T0.AddSeconds(3), clock.At(sent - (2 * _time.TimestampFrequency))); // and earlier moments follow from it
    }
}
