using EventStream.Api;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Operation;

/// <summary>A retry episode is said when it starts, at each back-off of the feed's own loop, and when it ends.</summary>
public class RetryVisibilityTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Outage_WithoutStopWhenCaughtUp_KeepsRetrying_LogsEachBackoffAtWarning_ThenRecovery()
    {
        var time = new FakeTimeProvider(T0.AddHours(1));
        int n = 0;
        var api = new InMemoryApi(time, fail: _ => ++n is >= 2 and <= 5); // requests 2-5 fail: an outage of four attempts
        var events = Enumerable.Range(0, 250).Select(i => api.Add(T0.AddMilliseconds(i))).ToList();
        var logger = new CapturingLogger();
        var states = new List<FeedState>();
        await using var feed = new EventFeed(api, new FeedOptions { Start = FeedStart.Beginning, TimeProvider = time, Logger = logger }, null);
        using IDisposable statuses = feed.Status.Subscribe(s => { lock (states) { states.Add(s.State); } });

        var delivered = new List<IntileryEvent>();
        using var done = new CancellationTokenSource();
        Task reading = Task.Run(async () =>
        {
            await foreach (IntileryEvent e in feed.ReadAllAsync(done.Token))
            {
                delivered.Add(e);
                if (delivered.Count == events.Count)
                {
                    await done.CancelAsync();
                }
            }
        });
        for (int i = 0; i < 5_000 && !reading.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
        Assert.Equal(events.Select(e => e.EventId), delivered.Select(e => e.EventId));
        IReadOnlyList<string> lines = logger.Lines;
        Assert.Single(lines, l => l.StartsWith("Warning: retrying: ", StringComparison.Ordinal) && l.Contains("req-2", StringComparison.Ordinal) && l.Contains("HTTP 503", StringComparison.Ordinal));
        Assert.Equal(3, lines.Count(l => l.StartsWith("Warning: still failing after ", StringComparison.Ordinal)));
        Assert.Single(lines, l => l.StartsWith("Information: recovered after 4 failed attempts", StringComparison.Ordinal));
        lock (states)
        {
            Assert.Equal(4, states.Count(s => s == FeedState.Retrying));
        }

        Assert.Equal(4, feed.Counters.Retries);
    }

    [Fact]
    public async Task Outage_WithStopWhenCaughtUp_GivesUpWhenTheClientsRetriesRunOut()
    {
        var time = new FakeTimeProvider(T0.AddHours(1));
        var api = new InMemoryApi(time, fail: _ => true) { ClientRetries = 3 };
        api.Add(T0);
        var logger = new CapturingLogger();
        await using var feed = new EventFeed(api, new FeedOptions { Start = FeedStart.Beginning, TimeProvider = time, Logger = logger }, null) { StopWhenCaughtUp = true };

        var ex = await Assert.ThrowsAsync<EventsApiException>(async () =>
        {
            await foreach (IntileryEvent _ in feed.ReadAllAsync())
            {
            }
        });

        Assert.True(ex.IsTransient);
        Assert.Equal(4, api.Requests); // one attempt and the three retries, then it stops
        Assert.Equal(FeedState.Faulted, feed.CurrentStatus.State);
        Assert.Single(logger.Lines, l => l.StartsWith("Warning: retrying: ", StringComparison.Ordinal));
    }
    [Fact]
    public async Task FeedOverTheRealClient_OneLoggerForBoth_EachFailedRequestSaidOnce()
    {
        // The relay gives one logger to the client and the feed: a retried request was said by both (the client's
        // "Events API attempt 1 failed … retrying in 00:00:00.1195237" and the feed's "retrying: …"), two lines for one fault.
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Backlog = 2_000; o.BacklogAge = TimeSpan.FromMinutes(2); o.LiveRate = 0; o.ErrorRate = 0.3; });
        var logger = new CapturingLogger();
        await using var feed = new EventFeed(Loopback.OptionsFor(simulator, o => { o.Logger = logger; o.RetryBaseDelay = TimeSpan.FromMilliseconds(1); }), new FeedOptions { Start = FeedStart.Beginning, Logger = logger }) { StopWhenCaughtUp = true };
        int delivered = 0;
        await foreach (IntileryEvent _ in feed.ReadAllAsync())
        {
            delivered++;
        }

        Assert.Equal(2_000, delivered);
        Assert.True(feed.Counters.Retries > 0, "no request failed: the test shows nothing");
        IReadOnlyList<string> lines = logger.Lines;
        Assert.DoesNotContain(lines, l => l.Contains("Events API attempt", StringComparison.Ordinal));
        string[] failed = [.. simulator.Requests.Where(r => r.Status >= 500).Select(r => r.RequestId)];
        Assert.All(failed, id => Assert.True(lines.Count(l => l.Contains(id, StringComparison.Ordinal)) <= 1, $"request {id} said more than once:\n{string.Join("\n", lines)}"));
        Assert.Contains(lines, l => l.StartsWith("Warning: retrying: ", StringComparison.Ordinal));
    }
}
