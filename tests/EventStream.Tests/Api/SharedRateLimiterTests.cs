using EventStream.Api.Internal;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Api;

public class SharedRateLimiterTests
{
    [Fact]
    public async Task Acquire_BeyondBurst_WaitsForReplenishmentAtTheConfiguredRate()
    {
        var time = new FakeTimeProvider();
        using SharedRateLimiter limiter = SharedRateLimiter.Rent("token-" + Guid.NewGuid(), requestsPerSecond: 10, burst: 4, time); // 3 after the reserve
        limiter.OnResponse();

        for (int i = 0; i < 3; i++)
        {
            await limiter.AcquireAsync(CancellationToken.None);
        }

        ValueTask fourth = limiter.AcquireAsync(CancellationToken.None);
        Assert.False(fourth.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(90));
        Assert.False(fourth.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(10));
        await fourth.AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, limiter.AvailableTokens);
    }

    [Fact]
    public void Rent_SameToken_SharesOneBucket_DifferentTokenDoesNot()
    {
        var time = new FakeTimeProvider();
        string token = "token-" + Guid.NewGuid();
        using SharedRateLimiter a = SharedRateLimiter.Rent(token, 10, 2, time);
        using SharedRateLimiter b = SharedRateLimiter.Rent(token, 10, 2, time);
        using SharedRateLimiter other = SharedRateLimiter.Rent(token + "x", 10, 2, time);

        Assert.Same(a, b);
        Assert.NotSame(a, other);
    }

    [Fact]
    public async Task Replenish_NeverExceedsCapacity()
    {
        var time = new FakeTimeProvider();
        using SharedRateLimiter limiter = SharedRateLimiter.Rent("token-" + Guid.NewGuid(), 100, 6, time);
        limiter.OnResponse();
        await limiter.AcquireAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(5, limiter.AvailableTokens);
    }

    [Fact]
    public async Task Refill_StartsOnlyWithTheFirstResponse()
    {
        var time = new FakeTimeProvider();
        using SharedRateLimiter limiter = SharedRateLimiter.Rent("token-" + Guid.NewGuid(), 10, 1, time);
        await limiter.AcquireAsync(CancellationToken.None);

        ValueTask second = limiter.AcquireAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(second.IsCompleted); // no response yet: the server may not have started draining

        limiter.OnResponse();
        await AdvanceUntilAsync(time, second.AsTask(), TimeSpan.FromMilliseconds(100));
    }

    // The waiter re-arms its timer from a thread-pool continuation, which a loaded machine may run after a single
    // Advance: move the fake clock in small steps until the wait completes (bounded: it must complete within `within`).
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Task wait, TimeSpan within)
    {
        for (TimeSpan moved = TimeSpan.Zero; !wait.IsCompleted && moved <= within; moved += TimeSpan.FromMilliseconds(10))
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.WhenAny(wait, Task.Delay(50));
        }

        await wait.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task OnRateLimited_EmptiesTheBucket_SoQueuedRequestsWaitForTheRefill()
    {
        var time = new FakeTimeProvider();
        using SharedRateLimiter limiter = SharedRateLimiter.Rent("token-" + Guid.NewGuid(), 10, 100, time);
        limiter.OnResponse();
        Assert.Equal(95, limiter.AvailableTokens);

        limiter.OnRateLimited();

        Assert.Equal(0, limiter.AvailableTokens);
        ValueTask next = limiter.AcquireAsync(CancellationToken.None);
        Assert.False(next.IsCompleted);
        await AdvanceUntilAsync(time, next.AsTask(), TimeSpan.FromMilliseconds(100));
    }

    [Theory]
    [InlineData(500, 495)]
    [InlineData(50, 48)]
    [InlineData(10, 9)]
    [InlineData(1, 1)]
    public void Capacity_KeepsAReserveBelowTheServersBurst(int burst, long capacity)
    {
        using SharedRateLimiter limiter = SharedRateLimiter.Rent("token-" + Guid.NewGuid(), 100, burst, new FakeTimeProvider());

        Assert.Equal(capacity, limiter.AvailableTokens);
    }

    /// <summary>
    /// Fairness between feeds on one token: three feeds catching up (each always with its next request waiting) and one
    /// live feed polling once a second. Waiters are served in arrival order and a feed has one request waiting at a time,
    /// so the live poll waits at most one token per other feed — it is never starved — and the catch-ups share the rest
    /// evenly. (FeedGroup relies on this; the end-to-end delivery delay is measured in RESULTS.md "Many feeds".)
    /// </summary>
    [Fact]
    public async Task OneToken_ManyCatchingUp_ALivePollWaitsAtMostATokenPerOtherFeed()
    {
        var time = new FakeTimeProvider();
        using SharedRateLimiter limiter = SharedRateLimiter.Rent("token-" + Guid.NewGuid(), requestsPerSecond: 10, burst: 1, time);
        limiter.OnResponse();
        using var stop = new CancellationTokenSource();
        int[] bulk = new int[3];
        Task[] catchingUp = [.. Enumerable.Range(0, 3).Select(i => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await limiter.AcquireAsync(stop.Token);
                Interlocked.Increment(ref bulk[i]);
            }
        }))];
        var waits = new List<TimeSpan>();
        Task live = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, stop.Token);
                long asked = time.GetTimestamp();
                await limiter.AcquireAsync(stop.Token);
                lock (waits)
                {
                    waits.Add(time.GetElapsedTime(asked));
                }
            }
        });

        for (int step = 0; step < 2_000; step++) // 20 simulated seconds
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            await Task.Delay(1);
        }

        await stop.CancelAsync();
        await Task.WhenAll([.. catchingUp, live]).ContinueWith(static _ => { }, TaskScheduler.Default);

        lock (waits)
        {
            Assert.InRange(waits.Count, 15, 20);
            Assert.All(waits, w => Assert.True(w <= TimeSpan.FromMilliseconds(410), $"the live poll waited {w.TotalMilliseconds} ms"));
        }

        Assert.InRange(bulk.Sum(), 150, 200); // the token's whole rate is used
        Assert.True(bulk.Max() - bulk.Min() <= 3, $"the catch-ups got {string.Join(", ", bulk)} tokens");
    }
}
