using EventStream.Feed.Internal;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Feed.Internal;

/// <summary>The feed's dedupe window on its own: bounded by time and by count, counting ids per millisecond.</summary>
public class DedupeWindowTests
{
    private static readonly DateTimeOffset T0 = TestEvents.T0;

    [Fact]
    public void Add_SameIdTwice_SecondIsADuplicate()
    {
        var window = new DedupeWindow(1_000);
        Assert.True(window.Add("a", T0));
        Assert.False(window.Add("a", T0.AddSeconds(1))); // by id, whatever the time
        Assert.True(window.Add("b", T0));
        Assert.Equal(2, window.Count);
    }

    [Fact]
    public void EvictBefore_ForgetsOlderIds_SoTheyCountAsNewAgain()
    {
        var window = new DedupeWindow(1_000);
        window.Add("old", T0);
        window.Add("edge", T0.AddSeconds(1));
        window.EvictBefore(T0.AddSeconds(1));

        Assert.Equal(1, window.Count);
        Assert.True(window.Add("old", T0)); // forgotten
        Assert.False(window.Add("edge", T0.AddSeconds(1))); // not before the bound: kept
    }

    [Fact]
    public void Add_PastCapacity_DropsTheOldestAndCountsIt()
    {
        var window = new DedupeWindow(3);
        for (int i = 0; i < 5; i++)
        {
            window.Add($"e{i}", T0.AddMilliseconds(i));
        }

        Assert.Equal(3, window.Count);
        Assert.Equal(2, window.Overflowed);
        Assert.True(window.Add("e0", T0)); // the oldest went first
        Assert.False(window.Add("e4", T0.AddMilliseconds(4)));
    }

    [Fact]
    public void CountBetween_CountsWholeMillisecondsHalfOpen_AndFollowsEviction()
    {
        var window = new DedupeWindow(1_000);
        window.Add("a", T0);
        window.Add("b", T0);
        window.Add("c", T0.AddMilliseconds(5));
        window.Add("d", T0.AddSeconds(10)); // far away: the sparse path

        Assert.Equal(2, window.CountBetween(T0, T0.AddMilliseconds(5)));
        Assert.Equal(3, window.CountBetween(T0, T0.AddMilliseconds(6)));
        Assert.Equal(4, window.CountBetween(T0, T0.AddHours(1)));
        Assert.Equal(0, window.CountBetween(T0.AddMilliseconds(6), T0.AddMilliseconds(6)));
        window.EvictBefore(T0.AddMilliseconds(1));
        Assert.Equal(1, window.CountBetween(T0, T0.AddMilliseconds(6)));
    }

    [Fact]
    public void EndAfter_TheFirstMillisecondThatReachesTheCount_OrTheLimit()
    {
        var window = new DedupeWindow(1_000);
        for (int i = 0; i < 10; i++)
        {
            window.Add($"e{i}", T0.AddMilliseconds(i));
        }

        Assert.Equal(T0.AddMilliseconds(4), window.EndAfter(T0, T0.AddSeconds(1), 4)); // e0..e3 in [T0, T0+4 ms)
        Assert.Equal(T0.AddSeconds(1), window.EndAfter(T0, T0.AddSeconds(1), 11)); // fewer than asked: the limit
        Assert.Equal(T0.AddDays(1).AddMilliseconds(-86_400_000 + 4), window.EndAfter(T0, T0.AddDays(1), 4)); // a long range (sparse path), same answer
    }
}
