using EventStream.AspNetCore.Health;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Feed;

/// <summary>The options beside faulting (retry with backoff, dead-letter and go on) and stall reporting, on fake time.</summary>
public class ConsumerPolicyTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);

    private static (InMemoryApi Api, List<SimulatedEvent> Events) Backlog(int count)
    {
        var api = new InMemoryApi(new FakeTimeProvider(T0.AddHours(1)));
        var events = Enumerable.Range(0, count).Select(i => api.Add(T0.AddMilliseconds(i * 10))).ToList();
        return (api, events);
    }

    private static FeedOptions Options(InMemoryApi api, Action<FeedOptions>? configure = null)
    {
        var options = new FeedOptions { Start = FeedStart.Beginning, TimeProvider = api.Time, BufferCapacity = 64 };
        configure?.Invoke(options);
        return options;
    }

    [Fact]
    public async Task ConsumerRetries_ObserverThrowsTwiceThenCopes_EventHandedAgainWithBackoff_NothingLostOrRepeatedForOthers()
    {
        (InMemoryApi api, List<SimulatedEvent> events) = Backlog(300);
        await using var feed = new EventFeed(api, Options(api, o => { o.ConsumerRetries = 2; o.ConsumerRetryDelay = TimeSpan.FromSeconds(1); }), null) { StopWhenCaughtUp = true };
        var other = new List<string>();
        using IDisposable watching = feed.Subscribe(e => { lock (other) { other.Add(e.EventId); } });
        var flaky = new List<string>();
        var attemptedAt = new List<DateTimeOffset>();
        using IDisposable subscription = feed.Subscribe(e =>
        {
            if (e.EventId == events[100].EventId)
            {
                lock (attemptedAt)
                {
                    attemptedAt.Add(api.Time.GetUtcNow());
                }

                if (attemptedAt.Count <= 2)
                {
                    throw new TimeoutException("database busy");
                }
            }

            lock (flaky)
            {
                flaky.Add(e.EventId);
            }
        });

        await AdvanceUntilAsync(api.Time, () => feed.Completion.IsCompleted);
        await feed.Completion;

        Assert.Equal(3, attemptedAt.Count);
        Assert.InRange((attemptedAt[1] - attemptedAt[0]).TotalSeconds, 1.0, 1.3); // ConsumerRetryDelay
        Assert.InRange((attemptedAt[2] - attemptedAt[1]).TotalSeconds, 2.0, 2.3); // doubled
        Assert.Equal(events.Select(e => e.EventId), flaky);
        Assert.Equal(events.Select(e => e.EventId), other);
        Assert.Equal(2, feed.Counters.ConsumerRetries);
        Assert.Equal(300, feed.Counters.Events);
    }

    [Fact]
    public async Task ConsumerRetries_UsedUp_FeedFaultsWithTheAttemptCount()
    {
        (InMemoryApi api, List<SimulatedEvent> events) = Backlog(300);
        await using var feed = new EventFeed(api, Options(api, o => o.ConsumerRetries = 1), null);
        int attempts = 0;
        using IDisposable subscription = feed.Subscribe(e =>
        {
            if (e.EventId == events[5].EventId)
            {
                Interlocked.Increment(ref attempts);
                throw new InvalidOperationException("always");
            }
        }, _ => { });

        await AdvanceUntilAsync(api.Time, () => feed.Completion.IsCompleted);
        var fault = await Assert.ThrowsAsync<ConsumerFaultException>(() => feed.Completion);
        Assert.Equal(2, fault.Attempts);
        Assert.Equal(events[5].EventId, fault.EventId);
        Assert.Equal(FeedState.Faulted, feed.CurrentStatus.State);
    }

    [Fact]
    public async Task OnDeadLetter_ObserverThrows_EventReportedCountedLoggedAndSkipped_FeedGoesOn()
    {
        (InMemoryApi api, List<SimulatedEvent> events) = Backlog(300);
        var letters = new List<DeadLetter>();
        var logger = new CapturingLogger();
        await using var feed = new EventFeed(api, Options(api, o => { o.OnDeadLetter = letters.Add; o.Logger = logger; }), null) { StopWhenCaughtUp = true };
        var got = new List<string>();
        using IDisposable subscription = feed.Subscribe(e =>
        {
            if (e.EventId == events[42].EventId)
            {
                throw new FormatException("cannot map it");
            }

            got.Add(e.EventId);
        });

        await feed.Completion.WaitAsync(TimeSpan.FromSeconds(30));

        DeadLetter letter = Assert.Single(letters);
        Assert.Equal(events[42].EventId, letter.Event.EventId);
        Assert.IsType<FormatException>(letter.Exception);
        Assert.Equal(1, letter.Attempts);
        Assert.Equal("observer", letter.Consumer);
        Assert.Equal(events.Select(e => e.EventId).Where(id => id != events[42].EventId), got);
        Assert.Equal(1, feed.Counters.DeadLettered);
        Assert.Single(logger.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal) && l.Contains(events[42].EventId, StringComparison.Ordinal));
        Assert.Equal(FeedState.Stopped, feed.CurrentStatus.State);
    }

    [Fact]
    public async Task StalledObserver_ShownInStatusAndHealth_ThenLoggedOnceWithItsDuration()
    {
        (InMemoryApi api, _) = Backlog(300);
        var logger = new CapturingLogger();
        await using var feed = new EventFeed(api, Options(api, o => o.Logger = logger), null);
        using var gate = new SemaphoreSlim(0);
        int taken = 0;
        using IDisposable subscription = feed.Subscribe(_ =>
        {
            if (Interlocked.Increment(ref taken) == 3)
            {
                gate.Wait();
            }
        });

        await Wait.UntilAsync(() => Volatile.Read(ref taken) == 3, "the observer holds the third event");
        DateTimeOffset since = api.Time.GetUtcNow();
        api.Time.Advance(TimeSpan.FromSeconds(4));
        Assert.Null(feed.CurrentStatus.Stall); // under the 5 s threshold
        api.Time.Advance(TimeSpan.FromSeconds(2));
        await Wait.UntilAsync(() => feed.CurrentStatus.Stall is not null, "the stall is reported");
        ConsumerStall stall = feed.CurrentStatus.Stall!;
        Assert.Equal("observer", stall.Consumer);
        Assert.Equal(since, stall.Since);
        var check = new EventFeedHealthCheck(feed);
        HealthCheckResult health = await check.CheckHealthAsync(new HealthCheckContext { Registration = new HealthCheckRegistration("feed", check, HealthStatus.Unhealthy, null) });
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Equal("observer", health.Data["stalledOn"]);

        api.Time.Advance(TimeSpan.FromSeconds(4)); // 10 s in all
        gate.Release();
        await Wait.UntilAsync(() => feed.CurrentStatus.Stall is null, "the stall ends");
        Assert.Single(logger.Lines, l => l.StartsWith("Warning:", StringComparison.Ordinal) && l.Contains("waited 10.0 s on a slow observer", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StalledReader_ShownInStatusAsAReader()
    {
        (InMemoryApi api, _) = Backlog(300);
        await using var feed = new EventFeed(api, Options(api, o => o.BufferCapacity = 10), null);
        await using IAsyncEnumerator<IntileryEvent> reader = feed.ReadAllAsync().GetAsyncEnumerator();
        Assert.True(await reader.MoveNextAsync()); // then never asks again: its buffer of 10 fills and delivery waits on it

        await Wait.UntilAsync(() => feed.Counters.Buffered >= 10, "the read-ahead buffer fills behind the reader");
        api.Time.Advance(TimeSpan.FromSeconds(6));
        await Wait.UntilAsync(() => feed.CurrentStatus.Stall is not null, "the stall is reported");
        Assert.Equal("reader", feed.CurrentStatus.Stall!.Consumer);
    }

    // Moves fake time on in small steps (each retry's delay is registered a moment after the attempt fails) until done.
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Func<bool> done)
    {
        for (int i = 0; i < 3_000 && !done(); i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(5);
        }

        Assert.True(done(), "not done after 300 simulated seconds");
    }

    [Fact]
    public void Options_InvalidConsumerPolicy_ThrowNamingTheOption()
    {
        var api = new InMemoryApi(new FakeTimeProvider(T0));
        Assert.Equal(nameof(FeedOptions.ConsumerRetries), Assert.Throws<ArgumentException>(() => new EventFeed(api, new FeedOptions { ConsumerRetries = -1 }, null)).ParamName);
        Assert.Equal(nameof(FeedOptions.ConsumerRetryDelay), Assert.Throws<ArgumentException>(() => new EventFeed(api, new FeedOptions { ConsumerRetryDelay = TimeSpan.Zero }, null)).ParamName);
        Assert.Equal(nameof(FeedOptions.StallThreshold), Assert.Throws<ArgumentException>(() => new EventFeed(api, new FeedOptions { StallThreshold = TimeSpan.Zero }, null)).ParamName);
    }
}
