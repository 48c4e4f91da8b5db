using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Feed;

/// <summary>The feed's algorithm stepped on a fake clock against the in-memory API.</summary>
public class FeedEngineTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);

    private static void AssertExactlyOnceAscending(IEnumerable<SimulatedEvent> expected, List<IntileryEvent> delivered, bool ascending = true)
    {
        Assert.Equal(delivered.Count, delivered.Select(e => e.EventId).Distinct().Count());
        Assert.Equal(expected.Select(e => e.EventId).Order(StringComparer.Ordinal), delivered.Select(e => e.EventId).Order(StringComparer.Ordinal));
        if (ascending)
        {
            var times = delivered.Where(e => !e.IsLate).Select(e => e.EventTime).ToList();
            Assert.Equal(times.Order(), times);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Backlog_WithBurstsAcrossTheWindow_DeliversEveryEventOnceInOrder(bool inclusive)
    {
        var time = new FakeTimeProvider(T0.AddHours(1));
        var api = new InMemoryApi(time, inclusive);
        var expected = new List<SimulatedEvent>();
        for (int i = 0; i < 12_000; i++)
        {
            // ~4 events per millisecond, and a 250-event burst in one millisecond around position 9,950.
            DateTimeOffset t = i is >= 9_900 and < 10_150 ? T0.AddMilliseconds(2_475) : T0.AddMilliseconds(i / 4);
            expected.Add(api.Add(t));
        }

        EngineDriver driver = EngineDriver.Create(api, stopWhenCaughtUp: true);
        await driver.RunToCompletionAsync();

        AssertExactlyOnceAscending(expected, driver.Delivered);
        Assert.All(driver.Delivered, e => Assert.False(e.IsLate));
        // Settled backlog: the head's reads are final, so no sweep; ~1 request per 100 events plus window restarts.
        Assert.Equal(0, driver.Engine.SweepRequests);
        Assert.InRange(driver.Engine.Requests, 120, 130);
    }

    [Fact]
    public async Task TiesOnPageBoundaries_AreNeitherLostNorRepeated()
    {
        var time = new FakeTimeProvider(T0.AddHours(1));
        var api = new InMemoryApi(time);
        var expected = new List<SimulatedEvent>();
        for (int i = 0; i < 1_000; i++)
        {
            expected.Add(api.Add(T0.AddMilliseconds(i / 7))); // 7 per millisecond: every page boundary splits a millisecond
        }

        EngineDriver driver = EngineDriver.Create(api, o => o.PageSize = 10, stopWhenCaughtUp: true);
        await driver.RunToCompletionAsync();

        AssertExactlyOnceAscending(expected, driver.Delivered);
    }

    [Fact]
    public async Task OneMillisecondHoldingMoreThanTheWindow_FailsClearly()
    {
        var time = new FakeTimeProvider(T0.AddHours(1));
        var api = new InMemoryApi(time);
        for (int i = 0; i < 10_050; i++)
        {
            api.Add(T0);
        }

        EngineDriver driver = EngineDriver.Create(api, stopWhenCaughtUp: true);

        var ex = await Assert.ThrowsAsync<FeedException>(() => driver.RunToCompletionAsync());
        Assert.Contains("share the millisecond 2024-05-14T09:00:00.000Z", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InclusiveServer_DenseMillisecondAfterTheOverlap_StillCompletes()
    {
        // 9,950 events at one millisecond, after 100 at the millisecond before: with the 1 ms overlap the
        // window restart at that millisecond would see 10,050 events; an inclusive server lets the feed drop the overlap.
        var time = new FakeTimeProvider(T0.AddHours(1));
        var api = new InMemoryApi(time, inclusive: true);
        var expected = new List<SimulatedEvent>();
        for (int i = 0; i < 60; i++)
        {
            expected.Add(api.Add(T0.AddMilliseconds(i % 3)));
        }

        for (int i = 0; i < 9_950; i++)
        {
            expected.Add(api.Add(T0.AddMilliseconds(3)));
        }

        EngineDriver driver = EngineDriver.Create(api, stopWhenCaughtUp: true);
        await driver.RunToCompletionAsync();

        AssertExactlyOnceAscending(expected, driver.Delivered);
    }

    [Fact]
    public async Task LateEvents_WithinMaxLateness_AreFoundByTheSweepAndMarkedLate()
    {
        var time = new FakeTimeProvider(T0);
        var api = new InMemoryApi(time);
        EngineDriver driver = EngineDriver.Create(api, o => { o.MaxLateness = TimeSpan.FromSeconds(10); o.PollInterval = TimeSpan.FromMilliseconds(500); });
        var onTime = new List<SimulatedEvent>();
        var late = new List<SimulatedEvent>();

        for (int tick = 0; tick < 80; tick++)
        {
            DateTimeOffset now = time.GetUtcNow();
            onTime.Add(api.Add(now.AddMilliseconds(-5), now));
            if (tick % 5 == 4)
            {
                late.Add(api.Add(now.AddSeconds(-8), now)); // 8 s late: behind the head when it appears
            }

            await driver.RunUntilAsync(() => driver.Delivered.Count >= onTime.Count);
        }

        await driver.RunUntilAsync(() => driver.Delivered.Count == onTime.Count + late.Count, maxSteps: 500);

        AssertExactlyOnceAscending(onTime.Concat(late), driver.Delivered);
        var lateIds = late.Select(e => e.EventId).ToHashSet();
        Assert.All(driver.Delivered.Where(e => lateIds.Contains(e.EventId)), e => Assert.True(e.IsLate));
        Assert.All(driver.Delivered.Where(e => !lateIds.Contains(e.EventId)), e => Assert.False(e.IsLate));
    }

    [Fact]
    public async Task EventBecomingVisibleLate_AtTheHeadsOwnMillisecond_IsDeliveredOnce()
    {
        var time = new FakeTimeProvider(T0.AddSeconds(5));
        var api = new InMemoryApi(time);
        SimulatedEvent a = api.Add(T0, T0);
        EngineDriver driver = EngineDriver.Create(api, o => o.MaxLateness = TimeSpan.FromSeconds(3));
        await driver.RunUntilAsync(() => driver.Delivered.Count == 1);

        SimulatedEvent b = api.Add(T0, time.GetUtcNow()); // same millisecond as a, visible only now
        await driver.RunUntilAsync(() => driver.Delivered.Count == 2);
        for (int i = 0; i < 50; i++)
        {
            await driver.StepAsync();
        }

        AssertExactlyOnceAscending([a, b], driver.Delivered);
    }

    [Fact]
    public async Task Dedupe_IsBoundedByTime_NotByHowManyEventsWentBy()
    {
        var time = new FakeTimeProvider(T0);
        var api = new InMemoryApi(time);
        EngineDriver driver = EngineDriver.Create(api, o => { o.MaxLateness = TimeSpan.FromSeconds(2); o.PollInterval = TimeSpan.FromMilliseconds(100); });
        int maxKept = 0;
        for (int tick = 0; tick < 300; tick++)
        {
            DateTimeOffset now = time.GetUtcNow();
            for (int i = 0; i < 10; i++)
            {
                api.Add(now.AddMilliseconds(-i), now); // 100 events/s
            }

            await driver.RunUntilAsync(() => driver.Delivered.Count >= (tick + 1) * 10);
            maxKept = Math.Max(maxKept, driver.Engine.DedupeCount);
        }

        Assert.Equal(3_000, driver.Delivered.Select(e => e.EventId).Distinct().Count());
        // About MaxLateness + a sweep slice of events (≈ 2 s + 1 s at 100/s), not the 3,000 that went by.
        Assert.InRange(maxKept, 1, 500);
    }

    [Fact]
    public async Task TransientFailures_NeverLoseTheCursor()
    {
        var time = new FakeTimeProvider(T0.AddHours(1));
        var random = new Random(7);
        var api = new InMemoryApi(time, fail: _ => random.NextDouble() < 0.3);
        var expected = Enumerable.Range(0, 3_000).Select(i => api.Add(T0.AddMilliseconds(i / 3))).ToList();

        EngineDriver driver = EngineDriver.Create(api, stopWhenCaughtUp: true);
        await driver.RunToCompletionAsync();

        AssertExactlyOnceAscending(expected, driver.Delivered);
        Assert.True(driver.TransientFailures > 5);
    }

    [Fact]
    public async Task StartAt_DeliversFromThatTimeInclusive()
    {
        var time = new FakeTimeProvider(T0.AddHours(1));
        var api = new InMemoryApi(time, inclusive: true);
        var all = Enumerable.Range(0, 100).Select(i => api.Add(T0.AddMilliseconds(i))).ToList();

        EngineDriver driver = EngineDriver.Create(api, o => o.Start = FeedStart.At(T0.AddMilliseconds(40)), stopWhenCaughtUp: true);
        await driver.RunToCompletionAsync();

        AssertExactlyOnceAscending(all.Skip(40), driver.Delivered);
    }

    [Fact]
    public async Task StartLatest_DeliversTheNewestNOldestFirst_ThenNewEvents()
    {
        var time = new FakeTimeProvider(T0.AddMinutes(1));
        var api = new InMemoryApi(time);
        var old = Enumerable.Range(0, 500).Select(i => api.Add(T0.AddMilliseconds(i * 10))).ToList();

        EngineDriver driver = EngineDriver.Create(api, o => o.Start = FeedStart.Latest(150));
        await driver.RunUntilAsync(() => driver.Delivered.Count == 150);
        Assert.Equal(old.Skip(350).Select(e => e.EventId), driver.Delivered.Select(e => e.EventId));

        SimulatedEvent fresh = api.Add(time.GetUtcNow(), time.GetUtcNow());
        await driver.RunUntilAsync(() => driver.Delivered.Count == 151);
        Assert.Equal(fresh.EventId, driver.Delivered[^1].EventId);
    }

    [Fact]
    public async Task StartNow_SkipsWhatExists_DeliversWhatComes()
    {
        var time = new FakeTimeProvider(T0.AddMinutes(1));
        var api = new InMemoryApi(time);
        for (int i = 0; i < 300; i++)
        {
            api.Add(T0.AddMilliseconds(i * 10));
        }

        EngineDriver driver = EngineDriver.Create(api, o => o.Start = FeedStart.Now);
        await driver.StepAsync();
        await driver.StepAsync();
        SimulatedEvent fresh = api.Add(time.GetUtcNow(), time.GetUtcNow());
        await driver.RunUntilAsync(() => driver.Delivered.Count == 1);

        Assert.Equal(fresh.EventId, Assert.Single(driver.Delivered).EventId);
    }

    [Fact]
    public async Task Until_CompletesAfterEveryEventBeforeIt_AndNoneAfter()
    {
        var time = new FakeTimeProvider(T0.AddMinutes(5));
        var api = new InMemoryApi(time, inclusive: true);
        var all = Enumerable.Range(0, 1_000).Select(i => api.Add(T0.AddMilliseconds(i * 100))).ToList();
        DateTimeOffset until = T0.AddMilliseconds(50_000);

        EngineDriver driver = EngineDriver.Create(api, o => o.Until = until);
        await driver.RunToCompletionAsync();

        AssertExactlyOnceAscending(all.Where(e => e.EventTime < until), driver.Delivered);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Until_WithSubMillisecondPart_KeepsEventsInItsOwnMillisecond(bool inclusive)
    {
        var time = new FakeTimeProvider(T0.AddMinutes(5));
        var api = new InMemoryApi(time, inclusive);
        var all = Enumerable.Range(0, 100).Select(i => api.Add(T0.AddMilliseconds(i))).ToList();
        DateTimeOffset until = T0.AddMilliseconds(50).AddTicks(4_567); // 50.4567 ms: the event at 50 ms is before it

        EngineDriver driver = EngineDriver.Create(api, o => o.Until = until);
        await driver.RunToCompletionAsync();

        AssertExactlyOnceAscending(all.Take(51), driver.Delivered);
    }

    [Fact]
    public async Task LiveReading_ReadAmplificationStaysUnderTwo()
    {
        var time = new FakeTimeProvider(T0);
        var api = new InMemoryApi(time);
        EngineDriver driver = EngineDriver.Create(api, o => { o.MaxLateness = TimeSpan.FromSeconds(5); o.PollInterval = TimeSpan.FromSeconds(1); });
        int added = 0;
        for (int tick = 0; tick < 120; tick++)
        {
            DateTimeOffset now = time.GetUtcNow();
            for (int i = 0; i < 150; i++)
            {
                api.Add(now.AddMilliseconds(-i * 5), now); // 150 events/s: more than a page per poll
                added++;
            }

            await driver.RunUntilAsync(() => driver.Delivered.Count >= added);
        }

        // Events read (by head and sweep) per event delivered: ≤ 2 plus page-boundary overlaps.
        long reads = driver.Engine.Duplicates + driver.Delivered.Count;
        Assert.InRange((double)reads / driver.Delivered.Count, 1.0, 2.1);
    }
}
