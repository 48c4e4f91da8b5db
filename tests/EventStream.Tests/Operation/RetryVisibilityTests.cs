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
}
