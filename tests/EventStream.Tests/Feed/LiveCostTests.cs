using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Feed.Internal;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EventStream.Tests.Feed;

/// <summary>
/// Live cost (DESIGN.md §3.11) as a measured property: requests per simulated minute once a feed is live, over a grid
/// of MaxLateness, start positions and live rates, on a fake clock where every request takes simulated time (as it
/// does over the wire). At ≤ 100 events/s live: ≤ 3 requests/s; above: ≤ 1.1 requests per 100 events. Every event
/// once, none falsely marked late, delivered within two poll intervals.
/// </summary>
public class LiveCostTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Latency = TimeSpan.FromMilliseconds(5);

    public static TheoryData<double, int, string> Grid()
    {
        var data = new TheoryData<double, int, string>();
        foreach (double rate in new[] { 0.0, 1, 10, 100 })
        {
            foreach (int lateness in new[] { 1, 5, 30, 600 })
            {
                foreach (string start in new[] { "now", "beginning", "at", "latest", "checkpoint" })
                {
                    if (lateness == 600 && rate == 100 && start is "at" or "latest")
                    {
                        continue; // the slowest cells (13 simulated minutes of warm-up at 100/s); the other three starts cover them
                    }

                    data.Add(rate, lateness, start);
                }
            }
        }

        foreach (double rate in new[] { 1_000.0, 5_000 })
        {
            foreach (int lateness in new[] { 1, 5 })
            {
                data.Add(rate, lateness, "now");
                data.Add(rate, lateness, "beginning");
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public async Task LiveFeed_SpendsAFewRequestsPerSecond_AndDeliversEveryEventOnceOnTime(double rate, int latenessSeconds, string start)
    {
        var time = new FakeTimeProvider(T0);
        var api = new InMemoryApi(time) { Latency = Latency, RecordQueries = false };
        var expected = new List<SimulatedEvent>();

        // A backlog hours older than the live traffic: 2,000 events over an hour, ending three hours ago.
        DateTimeOffset backlogStart = T0.AddHours(-4);
        for (int i = 0; i < 2_000; i++)
        {
            DateTimeOffset t = backlogStart.AddMilliseconds(i * 1_800);
            expected.Add(api.Add(t, t));
        }

        var traffic = new Traffic(api, rate, T0.AddSeconds(-30)); // live for 30 s before the feed starts
        api.BeforeQuery = traffic.AddUntil;
        traffic.AddUntil(T0);

        TimeSpan lateness = TimeSpan.FromSeconds(latenessSeconds);
        FeedStart feedStart = start switch
        {
            "now" => FeedStart.Now,
            "at" => FeedStart.At(backlogStart.AddMinutes(30)),
            "latest" => FeedStart.Latest(100),
            _ => FeedStart.Beginning,
        };

        EngineDriver first = EngineDriver.Create(api, o => { o.Start = feedStart; o.MaxLateness = lateness; });
        EngineDriver driver = first;
        if (start == "checkpoint")
        {
            // Run live for a while, "crash", stay down for two minutes while traffic goes on, resume from the checkpoint.
            await first.RunUntilTimeAsync(T0 + lateness + TimeSpan.FromSeconds(20));
            FeedCheckpoint checkpoint = CheckpointOf(first);
            time.Advance(TimeSpan.FromMinutes(2));
            traffic.AddUntil(time.GetUtcNow());
            driver = EngineDriver.Create(api, o => { o.MaxLateness = lateness; }, resume: checkpoint);
        }

        // Warm up: catch up, go live, let a few settle slices pass; then measure a window of steady live reading.
        TimeSpan slice = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, lateness.Ticks / 4));
        DateTimeOffset started = time.GetUtcNow();
        await driver.RunUntilAsync(() => driver.AtHead, maxSteps: 1_000_000);
        await driver.RunUntilTimeAsync(time.GetUtcNow() + lateness + (3 * slice) + TimeSpan.FromSeconds(5));
        long requestsBefore = driver.Engine.Requests;
        int eventsBefore = traffic.Added;
        TimeSpan window = TimeSpan.FromSeconds(rate > 100 ? 20 : 60);
        DateTimeOffset measuredFrom = time.GetUtcNow();
        await driver.RunUntilTimeAsync(measuredFrom + window);
        long requests = driver.Engine.Requests - requestsBefore;
        int liveEvents = traffic.Added - eventsBefore;

        // Then stop the traffic and let the last slices settle, so that every event can be accounted for.
        traffic.Stop();
        await driver.RunUntilTimeAsync(time.GetUtcNow() + lateness + (3 * slice) + TimeSpan.FromSeconds(5));
        expected.AddRange(traffic.Events);

        double perSecond = requests / window.TotalSeconds;
        output.WriteLine($"rate {rate}/s, MaxLateness {lateness}, start {start}: {requests} requests in {window.TotalSeconds} s = {perSecond:F2}/s "
            + $"({(liveEvents > 0 ? 100.0 * requests / liveEvents : 0):F2} per 100 events); sweep {driver.Engine.SweepRequests}; caught up in {driver.DeliveredAt.FirstOrDefault(started) - started}");

        if (rate <= 100)
        {
            // ≤ 3/s; idle: one head poll per PollInterval plus one settle read per slice (and a little for rounding).
            double bound = rate == 0 ? 1.0 + (1.0 / slice.TotalSeconds) + 0.05 : 3.0;
            Assert.True(perSecond <= bound, $"{perSecond:F2} requests/s live (bound {bound:F2})");
        }
        else
        {
            Assert.True(requests <= 1.1 * liveEvents / 100, $"{requests} requests for {liveEvents} live events: {100.0 * requests / liveEvents:F2} per 100 (bound 1.1)");
        }

        List<IntileryEvent> delivered = driver == first ? first.Delivered : [.. first.Delivered, .. driver.Delivered];
        AssertDelivered(expected, delivered, start, started, feedStart);
        Assert.DoesNotContain(driver.Delivered, e => e.IsLate);

        // Delivery keeps up: a live event is handed over within two poll intervals of its time.
        TimeSpan worst = TimeSpan.Zero;
        for (int i = 0; i < driver.Delivered.Count; i++)
        {
            if (driver.Delivered[i].EventTime >= measuredFrom)
            {
                TimeSpan delay = driver.DeliveredAt[i] - driver.Delivered[i].EventTime;
                worst = delay > worst ? delay : worst;
            }
        }

        Assert.True(worst <= TimeSpan.FromSeconds(2), $"a live event was delivered {worst} after its time");
    }

    private static void AssertDelivered(List<SimulatedEvent> all, List<IntileryEvent> delivered, string start, DateTimeOffset started, FeedStart feedStart)
    {
        var ids = delivered.Select(e => e.EventId).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count()); // no duplicate, also across a restart from the checkpoint
        var got = ids.ToHashSet();
        IEnumerable<SimulatedEvent> must = start switch
        {
            "now" or "latest" => all.Where(e => e.EventTime >= started.AddSeconds(1)),
            "at" => all.Where(e => e.EventTime >= ((FeedStart.AtStart)feedStart).Time),
            _ => all,
        };
        var missing = must.Where(e => !got.Contains(e.EventId)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} events never delivered, e.g. {string.Join(", ", missing.Take(3).Select(e => $"{e.EventId} at {e.EventTime:O}"))}");
        if (start == "now")
        {
            Assert.DoesNotContain(delivered, e => e.EventTime < started.AddSeconds(-1));
        }
    }

    // What EventFeed's committer would save for a consumer that took everything the engine delivered.
    private static FeedCheckpoint CheckpointOf(EngineDriver driver)
    {
        FeedPosition p = driver.Engine.Position;
        SeenEvent[] seen = [.. driver.Delivered.Where(e => e.EventTime >= p.KeepFrom).Select(e => new SeenEvent(e.EventId, e.EventTime))];
        return new FeedCheckpoint(p.Cursor, p.SweepPosition, p.HighWater, seen, driver.Engine.QueryKey);
    }

    /// <summary>
    /// Events become visible to queries a little after their event time (here up to 300 ms, as the simulator's lag plus
    /// index delay): held back by 500 ms, the head reads none of them too early, so none goes to the sweep (late, after
    /// MaxLateness); every one arrives through the head, once, within two poll intervals. Without the hold-back, the head
    /// passes some of them — the measured reason for it (over the wire, 5% of a 300/s feed came 36 s late).
    /// </summary>
    [Theory]
    [InlineData(10.0, 500)]
    [InlineData(100.0, 500)]
    [InlineData(1_000.0, 500)]
    [InlineData(100.0, 0)]
    public async Task EventsStillBeingIndexed_ComeThroughTheHead_OnTime_WhenHeldBack(double rate, int holdBackMs)
    {
        var time = new FakeTimeProvider(T0);
        var api = new InMemoryApi(time) { Latency = Latency, RecordQueries = false };
        var traffic = new Traffic(api, rate, T0, indexDelay: TimeSpan.FromMilliseconds(300));
        api.BeforeQuery = traffic.AddUntil;
        EngineDriver driver = EngineDriver.Create(api, o => { o.Start = FeedStart.Now; o.MaxLateness = TimeSpan.FromSeconds(30); o.HoldBack = TimeSpan.FromMilliseconds(holdBackMs); });

        await driver.RunUntilTimeAsync(T0 + TimeSpan.FromSeconds(60));
        traffic.Stop();
        await driver.RunUntilTimeAsync(time.GetUtcNow() + TimeSpan.FromSeconds(45)); // the sweep settles the rest

        var ids = driver.Delivered.Select(e => e.EventId).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Empty(traffic.Events.Where(e => e.EventTime >= T0.AddSeconds(2)).Select(e => e.EventId).Except(ids)); // none lost
        int late = driver.Delivered.Count(e => e.IsLate);
        output.WriteLine($"rate {rate}/s, hold-back {holdBackMs} ms: {driver.Delivered.Count} delivered, {late} through the sweep (late), {driver.Engine.Requests} requests");
        if (holdBackMs == 0)
        {
            Assert.True(late > 0, "without a hold-back the head passes events still being indexed");
            return;
        }

        Assert.Equal(0, late);
        TimeSpan worst = TimeSpan.Zero;
        for (int i = 0; i < driver.Delivered.Count; i++)
        {
            TimeSpan delay = driver.DeliveredAt[i] - driver.Delivered[i].EventTime;
            worst = delay > worst ? delay : worst;
        }

        Assert.True(worst <= TimeSpan.FromSeconds(2), $"an event was delivered {worst} after its time");
    }

    /// <summary>Live events at a steady rate, visible at their event time (or up to <c>indexDelay</c> after), added as the server's clock passes them.</summary>
    internal sealed class Traffic(InMemoryApi api, double rate, DateTimeOffset from, TimeSpan indexDelay = default)
    {
        private readonly Random _random = new(7);

        private long _next;
        private bool _stopped;

        public List<SimulatedEvent> Events { get; } = [];

        public int Added => Events.Count;

        public void AddUntil(DateTimeOffset now)
        {
            while (!_stopped && rate > 0)
            {
                DateTimeOffset t = from + TimeSpan.FromTicks((long)(_next * TimeSpan.TicksPerSecond / rate));
                t = new DateTimeOffset(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
                if (t > now)
                {
                    return;
                }

                Events.Add(api.Add(t, t + (indexDelay * _random.NextDouble())));
                _next++;
            }
        }

        public void Stop() => _stopped = true;
    }
}
