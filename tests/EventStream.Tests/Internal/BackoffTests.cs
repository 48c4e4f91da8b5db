using EventStream.Internal;

namespace EventStream.Tests.Internal;

/// <summary>The one backoff every package uses: exponential from a base, capped, jittered on request, Retry-After a floor.</summary>
public class BackoffTests
{
    private static readonly TimeSpan Base = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData(1, 200)]
    [InlineData(2, 400)]
    [InlineData(5, 3_200)]
    [InlineData(6, 5_000)] // 6,400 capped
    [InlineData(1_000, 5_000)] // no overflow however long the outage
    public void Delay_DoublesFromTheBaseUpToTheCap(int attempt, int expectedMs)
        => Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Backoff.Delay(attempt, Base, Max));

    [Fact]
    public void Delay_WithJitter_IsHalfToAllOfTheDelay()
    {
        for (int i = 0; i < 200; i++)
        {
            Assert.InRange(Backoff.Delay(3, Base, Max, jitter: true), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(800));
        }
    }

    [Fact]
    public void Delay_ARetryAfterLongerThanTheBackoff_IsWaitedInFull()
    {
        Assert.Equal(TimeSpan.FromSeconds(7), Backoff.Delay(1, Base, Max, retryAfter: TimeSpan.FromSeconds(7)));
        Assert.Equal(Base, Backoff.Delay(1, Base, Max, retryAfter: TimeSpan.FromMilliseconds(50)));
    }
}
