using System.Net;
using EventStream.Api;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Feed;

/// <summary>The feed against the simulator over real loopback HTTP: faults, ties at the window, late events, rate limits.</summary>
public class EventFeedLoopbackTests
{
    private static async Task<List<IntileryEvent>> ReadAllAsync(EventFeed feed, TimeSpan timeout)
    {
        var events = new List<IntileryEvent>();
        using var cts = new CancellationTokenSource(timeout);
        await foreach (IntileryEvent e in feed.ReadAllAsync(cts.Token))
        {
            events.Add(e);
        }

        return events;
    }

    private static void AssertExactlyOnce(IEnumerable<SimulatedEvent> expected, List<IntileryEvent> delivered)
    {
        var duplicated = delivered.GroupBy(e => e.EventId).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicated.Count == 0, $"duplicated: {string.Join(", ", duplicated.Take(5))}");
        var got = delivered.Select(e => e.EventId).ToHashSet();
        var missing = expected.Where(e => !got.Contains(e.EventId)).ToList();
        // Say when each missing event happened, arrived and became visible, so a failure explains itself.
        Assert.True(missing.Count == 0, $"missing {missing.Count}: " + string.Join("; ", missing.Take(5).Select(e =>
            $"{e.EventId} eventTime {e.EventTime:HH:mm:ss.fffffff} received {e.ReceivedTime:HH:mm:ss.fff} visible {e.VisibleAt:HH:mm:ss.fff}")));
        var wanted = expected.Select(e => e.EventId).ToHashSet();
        var extra = delivered.Where(e => !wanted.Contains(e.EventId)).Select(e => $"{e.EventId} at {e.EventTime:HH:mm:ss.fff}").Take(5).ToList();
        Assert.True(extra.Count == 0, $"unexpected: {string.Join("; ", extra)}");
    }

    [Fact]
    public async Task Backlog25k_BurstAcrossTheWindow_WithFaults_EveryEventOnceInOrder_No429()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Seed = 5; o.ErrorRate = 0.05; o.TruncateRate = 0.02; });
        DateTimeOffset now = DateTimeOffset.UtcNow;
        var events = simulator.AddBacklog(24_700, now.AddHours(-2), now.AddHours(-1)).OrderBy(e => e.EventTime).ToList();
        DateTimeOffset burstAt = events[9_850].EventTime;
        for (int i = 0; i < 300; i++)
        {
            SimulatedEvent e = simulator.Events.Create(burstAt, burstAt.AddSeconds(1));
            simulator.Add(e);
            events.Add(e);
        }

        await using var feed = new EventFeed(Loopback.ClientFor(simulator), new FeedOptions { Start = FeedStart.Beginning }) { StopWhenCaughtUp = true };
        List<IntileryEvent> delivered = await ReadAllAsync(feed, TimeSpan.FromMinutes(3));

        AssertExactlyOnce(events, delivered);
        Assert.Equal(delivered.Select(e => e.EventTime).Order(), delivered.Select(e => e.EventTime));
        Assert.Equal(0, simulator.RateLimitedCount);
        Assert.Contains(simulator.Requests, r => r.Fault == "error");
        Assert.Contains(simulator.Requests, r => r.Fault == "truncated");
        Assert.Contains(simulator.Requests, r => r.Query.Contains("from=9900", StringComparison.Ordinal));
        Assert.InRange(feed.Counters.Requests, 250, 262); // ~one request per 100 events: no sweep for a settled backlog
    }

    [Fact]
    public async Task LiveTraffic_WithTwentyPercentLate_EveryEventBeforeUntilOnce()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o =>
        {
            o.LiveRate = 150;
            o.LateShare = 0.2;
            o.MaxLate = TimeSpan.FromSeconds(2);
            o.MaxIndexDelay = TimeSpan.FromMilliseconds(300);
            o.BurstShare = 0.05;
            o.MaxBurstSize = 20;
        });
        DateTimeOffset start = DateTimeOffset.UtcNow;
        DateTimeOffset until = start.AddSeconds(4);
        await using var feed = new EventFeed(Loopback.ClientFor(simulator), new FeedOptions
        {
            Start = FeedStart.At(start),
            Until = until,
            MaxLateness = TimeSpan.FromSeconds(3),
            PollInterval = TimeSpan.FromMilliseconds(200),
        });

        List<IntileryEvent> delivered = await ReadAllAsync(feed, TimeSpan.FromMinutes(1));

        List<SimulatedEvent> expected = [.. simulator.Snapshot().Where(e => e.EventTime >= start && e.EventTime < until)];
        Assert.True(expected.Count > 400, $"only {expected.Count} events generated");
        AssertExactlyOnce(expected, delivered);
        Assert.Contains(delivered, e => e.IsLate);
        Assert.Equal(0, simulator.RateLimitedCount);
    }

    [Fact]
    public async Task StrictServerLimit_CompletesHonouringRetryAfter()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.RequestsPerSecond = 3; o.Burst = 2; });
        DateTimeOffset now = DateTimeOffset.UtcNow;
        IReadOnlyList<SimulatedEvent> events = simulator.AddBacklog(450, now.AddHours(-2), now.AddHours(-1));
        await using var feed = new EventFeed(Loopback.ClientFor(simulator), new FeedOptions { Start = FeedStart.Beginning }) { StopWhenCaughtUp = true };

        List<IntileryEvent> delivered = await ReadAllAsync(feed, TimeSpan.FromMinutes(1));

        AssertExactlyOnce(events, delivered);
        Assert.True(simulator.RateLimitedCount > 0);
        Assert.Equal(simulator.RateLimitedCount, feed.Counters.RateLimited);
        IReadOnlyList<RequestRecord> log = simulator.Requests;
        for (int i = 0; i + 1 < log.Count; i++)
        {
            if (log[i].Status == 429)
            {
                Assert.True(log[i + 1].Time - log[i].Time >= TimeSpan.FromSeconds(0.99), $"request {i + 1} came {log[i + 1].Time - log[i].Time} after a 429 with Retry-After: 1");
            }
        }
    }

    [Fact]
    public async Task WrongToken_FaultsWithTheTypedAuthenticationError()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        await using var feed = new EventFeed(Loopback.ClientFor(simulator, o => o.AuthToken = "not-the-token"), new FeedOptions { Start = FeedStart.Beginning });

        var ex = await Assert.ThrowsAsync<EventsApiException>(() => ReadAllAsync(feed, TimeSpan.FromSeconds(30)));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal("authentication_error", ex.ErrorCode);
        Assert.NotNull(ex.RequestId);
        Assert.Equal(FeedState.Faulted, feed.CurrentStatus.State);
        Assert.Equal(1, simulator.RequestCount);
    }
}
