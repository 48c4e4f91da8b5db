using EventStream.Feed.Internal;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Feed;

public class RateMeterTests
{
    [Fact]
    public void PerSecond_IsTheRateOverTheLastMinute_NotTheLifetimeAverage()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero));
        var meter = new RateMeter(time);
        for (int second = 0; second < 120; second++)
        {
            for (int i = 0; i < 10; i++)
            {
                meter.Add(time.GetTimestamp()); // 10/s for two minutes
                time.Advance(TimeSpan.FromMilliseconds(100));
            }
        }

        Assert.InRange(meter.PerSecond(), 9.5, 10.5);
        for (int second = 0; second < 90; second++)
        {
            meter.Add(time.GetTimestamp()); // then 1/s
            time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.InRange(meter.PerSecond(), 0.9, 1.1);
        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(0, meter.PerSecond()); // idle: nothing in the last minute
    }

    [Fact]
    public void PerSecond_InTheFirstSeconds_DividesByTheTimeSoFar()
    {
        var time = new FakeTimeProvider();
        var meter = new RateMeter(time);
        time.Advance(TimeSpan.FromSeconds(4));
        for (int i = 0; i < 8; i++)
        {
            meter.Add(time.GetTimestamp());
        }

        Assert.InRange(meter.PerSecond(), 1.9, 2.1);
    }
}
