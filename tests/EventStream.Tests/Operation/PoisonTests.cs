using System.Text;
using EventStream.Api;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using EventStream.Typed;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Operation;

/// <summary>Odd pages never stall a feed: deep JSON is read, a bad event is skipped and reported, an unreadable page ends the feed.</summary>
public class PoisonTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(200)]
    [InlineData(1_000)]
    [InlineData(4_000)]
    public void DeepNesting_InsideAnEvent_IsReadByteExact_UntypedTypedAndNdjson(int depth)
    {
        var events = new SyntheticEvents(3);
        SimulatedEvent deep = HostileEvents.DeeplyNested(events, T0, depth);
        byte[] page = SyntheticEvents.Page([events.Create(T0), deep, events.Create(T0.AddMilliseconds(1))], 3);

        EventPage untyped = EventPage.Parse(page);
        Assert.Equal(3, untyped.Events.Count);
        Assert.Equal(deep.Json, untyped.Events[1].Json.ToArray());
        Assert.Equal(System.Text.Json.JsonValueKind.Array, untyped.Events[1].Properties!.Value.GetProperty("deep").ValueKind);

        EventPage typed = EventPage.Parse(page, IntileryEvents.Catalog);
        IntileryEvents.ProductViewed viewed = Assert.IsType<IntileryEvents.ProductViewed>(typed.Events[1]);
        Assert.Equal(deep.Json, viewed.Json.ToArray());

        byte[] ndjson = [.. deep.Json, (byte)'\n', .. deep.Json];
        Assert.Equal(2, NdjsonEvents.Read(ndjson, IntileryEvents.Catalog).ToList().Count);
    }

    [Fact]
    public void NestingBeyondTheLimit_IsAFormatErrorWithItsOffset_NotAnotherException()
    {
        var events = new SyntheticEvents(3);
        byte[] page = SyntheticEvents.Page([events.Create(T0), HostileEvents.DeeplyNested(events, T0, 5_000)]);

        var ex = Assert.Throws<EventPageFormatException>(() => EventPage.Parse(page));
        Assert.NotNull(ex.BytePosition);
        Assert.InRange(ex.BytePosition!.Value, 1, page.Length);
    }

    [Fact]
    public async Task EventWithoutId_IsSkippedAndReportedOnce_TheRestOfItsPageIsDelivered()
    {
        var time = new FakeTimeProvider(T0.AddHours(1));
        var api = new InMemoryApi(time);
        var good = new List<SimulatedEvent>();
        for (int i = 0; i < 150; i++)
        {
            good.Add(api.Add(T0.AddMilliseconds(i * 10)));
        }

        SimulatedEvent bad = HostileEvents.WithoutEventId(T0.AddMilliseconds(505));
        api.AddRaw(bad);
        var reported = new List<UnreadableEvent>();
        var logger = new CapturingLogger();
        await using var feed = new EventFeed(api, new FeedOptions
        {
            Start = FeedStart.Beginning,
            TimeProvider = time,
            OnUnreadableEvent = reported.Add,
            Logger = logger,
        }, null) { StopWhenCaughtUp = true };

        List<IntileryEvent> delivered = await ReadAllAsync(feed, time);

        Assert.Equal(good.Select(e => e.EventId), delivered.Select(e => e.EventId));
        UnreadableEvent report = Assert.Single(reported);
        Assert.Contains("has no eventId", report.Reason, StringComparison.Ordinal);
        Assert.Equal(Encoding.UTF8.GetString(bad.Json), report.Json); // nothing is lost: the event's JSON as received
        Assert.StartsWith("req-", report.RequestId, StringComparison.Ordinal);
        Assert.True(report.BytePosition > 0);
        Assert.Equal(1, feed.Counters.UnreadableEvents);
        Assert.Contains(logger.Lines, l => l.StartsWith("Warning: unreadable event skipped: event ", StringComparison.Ordinal) && l.Contains("has no eventId", StringComparison.Ordinal));
    }

    [Fact]
    public async Task UnreadablePage_OverHttp_EndsTheFeedWithTheRequestIdAndOffset_AfterTheRetries()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.MalformedRate = 1);
        simulator.AddBacklog(50, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        await using var feed = new EventFeed(Loopback.OptionsFor(simulator, o => o.MaxRetries = 2), new FeedOptions { Start = FeedStart.Beginning });

        var ex = await Assert.ThrowsAsync<EventPageFormatException>(async () =>
        {
            await foreach (IntileryEvent _ in feed.ReadAllAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
            {
            }
        });

        Assert.Equal(simulator.Requests[^1].RequestId, ex.RequestId);
        Assert.NotNull(ex.BytePosition);
        Assert.Equal(3, simulator.Requests.Count); // the first attempt and two retries: then it stops, it does not spin
        Assert.Equal(FeedState.Faulted, feed.CurrentStatus.State);
    }

    internal static async Task<List<IntileryEvent>> ReadAllAsync(EventFeed feed, FakeTimeProvider time)
    {
        var delivered = new List<IntileryEvent>();
        Task reading = Task.Run(async () =>
        {
            await foreach (IntileryEvent e in feed.ReadAllAsync())
            {
                delivered.Add(e);
            }
        });
        for (int i = 0; i < 10_000 && !reading.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(1);
        }

        await reading;
        return delivered;
    }
}
