using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using EventStream.Webhooks;
using Microsoft.Extensions.Time.Testing;
using static EventStream.Tests.Webhooks.WebhookTestKit;

namespace EventStream.Tests.Webhooks;

/// <summary>
/// The forwarder on a real feed (the simulator over HTTP) to a real receiver: every event delivered and verified, per
/// customer in order, and the checkpoint never past an event a route has not acknowledged.
/// </summary>
public sealed class WebhookForwarderTests : IAsyncLifetime
{
    private readonly string _deadLetters = TempFile("dead");
    private readonly string _checkpoint = TempFile("checkpoint");
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync();

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        File.Delete(_deadLetters);
        File.Delete(_checkpoint);
    }

    private static Task<IntilerySimulator> SimulatorAsync(int backlog)
        => Loopback.StartAsync(o => { o.Backlog = backlog; o.BacklogAge = TimeSpan.FromHours(1); o.LiveRate = 0; });

    private FeedOptions Feed() => new()
    {
        Start = FeedStart.Beginning,
        CheckpointStore = new FileCheckpointStore(_checkpoint),
        CheckpointInterval = TimeSpan.FromMilliseconds(50),
        CheckpointAfterEvents = 10, // a checkpoint every 10 events or so: some before the stuck event, some after
        PollInterval = TimeSpan.FromMilliseconds(50),
    };

    private WebhookRoute Route(string name, IReadOnlyList<string>? include = null) => new()
    {
        Name = name,
        Endpoint = _receiver.Url(name),
        Include = include ?? [],
        Secrets = [Secret1, Secret2],
    };

    private static string? Customer(SimulatedEvent e)
    {
        using var json = System.Text.Json.JsonDocument.Parse(e.Json);
        return json.RootElement.TryGetProperty("customerId", out System.Text.Json.JsonElement c) ? c.GetString() : null;
    }

    // The stuck event and its customer's later events, which wait behind it (per-customer order).
    private static int Behind(IReadOnlyList<SimulatedEvent> events, string stuck)
    {
        int at = events.ToList().FindIndex(e => e.EventId == stuck);
        string? customer = Customer(events[at]);
        return 1 + events.Skip(at + 1).Count(e => Customer(e) == customer);
    }

    private HashSet<string> AcceptedIds(string path) => [.. _receiver.Accepted(path).Select(d => d.WebhookId)];

    [Fact]
    public async Task RunAsync_SimulatorBacklog_EveryEventDeliveredVerifiedInOrderPerCustomerAndInParallel()
    {
        await using IntilerySimulator simulator = await SimulatorAsync(300);
        IReadOnlyList<SimulatedEvent> events = simulator.Snapshot();
        string action = events.GroupBy(e => e.Action).OrderByDescending(g => g.Count()).First().Key;
        _receiver.Verify("all", Secret2); // the receiver has moved to the new secret: rotation
        _receiver.Verify("some", Secret1);
        _receiver.Answer("all", _ => new Reply(Delay: TimeSpan.FromMilliseconds(5)));
        await using var forwarder = new WebhookForwarder(Loopback.OptionsFor(simulator), Feed(), new WebhookForwarderOptions
        {
            Routes = [Route("all"), Route("some", include: [action])],
            DeadLetterPath = _deadLetters,
        });
        using var stop = new CancellationTokenSource();

        Task run = forwarder.RunAsync(stop.Token);
        await Wait.UntilAsync(() => AcceptedIds("all").Count == events.Count && AcceptedIds("some").Count == events.Count(e => e.Action == action), "every event is delivered", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();
        await run;

        IReadOnlyList<ReceivedDelivery> all = _receiver.Accepted("all");
        Assert.All(_receiver.Received(), d => Assert.True(d.Verified, d.VerifyError));
        Assert.Equal(events.Select(e => e.EventId).Order(), AcceptedIds("all").Order());
        Assert.All(_receiver.Accepted("some"), d => Assert.Contains($"\"eventAction\":\"{action}\"", d.BodyText, StringComparison.Ordinal));
        Dictionary<string, SimulatedEvent> byId = events.ToDictionary(e => e.EventId);
        Assert.All(all, d => Assert.Equal(byId[d.WebhookId].Json, d.Body)); // the event's JSON exactly as the API sent it
        Assert.All(all, d => Assert.Equal(2, d.Headers["webhook-signature"].Split(' ').Length));
        foreach (IGrouping<string?, ReceivedDelivery> customer in all.GroupBy(d => d.CustomerId))
        {
            DateTimeOffset[] times = [.. customer.Select(d => byId[d.WebhookId].EventTime)];
            Assert.Equal(times.Order(), times);
        }

        Assert.Equal(0, _receiver.CustomerOverlaps);
        Assert.True(_receiver.MaxInFlight > 1, $"deliveries to different customers overlap (max in flight {_receiver.MaxInFlight})");
        Assert.Equal(0, forwarder.Unacknowledged);
    }

    [Fact]
    public async Task Checkpoint_AnEventNotAcknowledged_IsNeverPastTheSavedCheckpoint_ThenSavedOnceAcknowledgedWhileTheFeedIsIdle()
    {
        await using IntilerySimulator simulator = await SimulatorAsync(60);
        IReadOnlyList<SimulatedEvent> events = [.. simulator.Snapshot().OrderBy(e => e.EventTime)];
        string stuck = events[30].EventId;
        var retryClock = new FakeTimeProvider(DateTimeOffset.UtcNow); // the stuck event's retry waits for this clock
        _receiver.Answer("slow", d => d.WebhookId == stuck && d.Attempt == 1 ? new Reply(500) : Reply.Ok);
        await using var forwarder = new WebhookForwarder(Loopback.OptionsFor(simulator), Feed(), new WebhookForwarderOptions
        {
            Routes = [Route("fast"), Route("slow")],
            DeadLetterPath = _deadLetters,
            TimeProvider = retryClock,
            Jitter = 0,
        });
        using var stop = new CancellationTokenSource();
        Task run = forwarder.RunAsync(stop.Token);

        await Wait.UntilAsync(() => AcceptedIds("fast").Count == events.Count && AcceptedIds("slow").Count == events.Count - Behind(events, stuck), "all but the stuck event (and its customer's later ones) are delivered");
        await Wait.UntilAsync(() => forwarder.Ledger.Taken == events.Count, "the forwarder has taken every event");
        await forwarder.Feed!.SaveCheckpointAsync();
        await forwarder.FlushCheckpointAsync();
        FeedCheckpoint saved = (await new FileCheckpointStore(_checkpoint).LoadAsync(default))!;
        HashSet<string> acknowledged = [.. AcceptedIds("slow").Intersect(AcceptedIds("fast"))];
        int Index(string? id) => events.ToList().FindIndex(e => e.EventId == id);
        Assert.DoesNotContain(saved.Seen, s => s.EventId == stuck);
        Assert.InRange(Index(saved.LastEventId), 0, Index(stuck) - 1); // it went as far as it may: up to before the stuck event
        Assert.All(saved.Seen, s => Assert.Contains(s.EventId, acknowledged));

        await forwarder.Route("slow").WaitForRetriesAsync(1);
        retryClock.Advance(TimeSpan.FromSeconds(5));
        await Wait.UntilAsync(() => AcceptedIds("slow").Contains(stuck), "the stuck event is delivered");
        await Wait.UntilAsync(() => Index(new FileCheckpointStore(_checkpoint).LoadAsync(default).AsTask().Result!.LastEventId) == events.Count - 1, "the checkpoint passes it, with the feed idle");
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Restart_AfterStopWithAnEventUnacknowledged_DeliversItAgainWithItsWebhookId()
    {
        await using IntilerySimulator simulator = await SimulatorAsync(40);
        IReadOnlyList<SimulatedEvent> events = [.. simulator.Snapshot().OrderBy(e => e.EventTime)];
        string stuck = events[20].EventId;
        _receiver.Answer("slow", d => d.WebhookId == stuck ? new Reply(503) : Reply.Ok);
        WebhookForwarderOptions Options(TimeProvider time) => new()
        {
            Routes = [Route("fast"), Route("slow")],
            DeadLetterPath = _deadLetters,
            TimeProvider = time,
            DrainTimeout = TimeSpan.Zero,
        };

        await using (var first = new WebhookForwarder(Loopback.OptionsFor(simulator), Feed(), Options(new FakeTimeProvider(DateTimeOffset.UtcNow))))
        {
            using var stop = new CancellationTokenSource();
            Task run = first.RunAsync(stop.Token);
            await Wait.UntilAsync(() => AcceptedIds("fast").Count == events.Count && AcceptedIds("slow").Count == events.Count - Behind(events, stuck), "all but the stuck event (and its customer's later ones) are delivered");
            await stop.CancelAsync();
            await run;
        }

        _receiver.Answer("slow", _ => Reply.Ok);
        await using var second = new WebhookForwarder(Loopback.OptionsFor(simulator), Feed(), Options(TimeProvider.System));
        using var stop2 = new CancellationTokenSource();
        Task run2 = second.RunAsync(stop2.Token);
        await Wait.UntilAsync(() => AcceptedIds("slow").Count == events.Count, "the stuck event and its customer's later ones are delivered after the restart");
        await stop2.CancelAsync();
        await run2;

        Assert.Equal(events.Count, AcceptedIds("fast").Count);
        Assert.Equal(events.Count, AcceptedIds("slow").Count);
        Assert.All(_receiver.Received("slow").Where(d => d.BodyText.Contains(stuck, StringComparison.Ordinal)), d => Assert.Equal(stuck, d.WebhookId));
        Assert.True(second.Forwarded < events.Count + 1, "the restart resumed from a checkpoint");
    }

    [Fact]
    public async Task Parked_ARouteRetryingPastParkAfter_TheCheckpointPassesItsEvents_WhichTheRestartDeliversFirstAndAlone()
    {
        await using IntilerySimulator simulator = await SimulatorAsync(40);
        IReadOnlyList<SimulatedEvent> events = [.. simulator.Snapshot().OrderBy(e => e.EventTime)];
        string stuck = events[20].EventId;
        string pendingPath = TempFile("pending");
        _receiver.Answer("slow", d => d.WebhookId == stuck ? new Reply(503) : Reply.Ok);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow); // retries and how long the checkpoint has been held
        WebhookForwarderOptions Options(TimeProvider time) => new()
        {
            Routes = [Route("fast"), Route("slow")],
            DeadLetterPath = _deadLetters,
            PendingPath = pendingPath,
            TimeProvider = time,
            Jitter = 0,
            DrainTimeout = TimeSpan.Zero,
        };
        int Index(string? id) => events.ToList().FindIndex(e => e.EventId == id);
        string[] held = [.. events.Skip(20).Where(e => Customer(e) == Customer(events[20])).Select(e => e.EventId)];
        Assert.Equal(Behind(events, stuck), held.Length);

        try
        {
            await using (var first = new WebhookForwarder(Loopback.OptionsFor(simulator), Feed(), Options(clock)))
            {
                using var stop = new CancellationTokenSource();
                Task run = first.RunAsync(stop.Token);
                await Wait.UntilAsync(() => AcceptedIds("fast").Count == events.Count && AcceptedIds("slow").Count == events.Count - held.Length, "all but the stuck event (and its customer's later ones) are delivered");
                await Wait.UntilAsync(() => first.Ledger.Taken == events.Count, "the forwarder has taken every event");
                await first.Feed!.SaveCheckpointAsync();
                await first.FlushCheckpointAsync();
                Assert.InRange(Index((await new FileCheckpointStore(_checkpoint).LoadAsync(default))!.LastEventId), 0, 19); // held back by the retrying route
                Assert.False(File.Exists(pendingPath));

                clock.Advance(TimeSpan.FromMinutes(1)); // the route has held it for ParkAfter
                await first.Feed!.SaveCheckpointAsync();
                await first.FlushCheckpointAsync();

                Assert.Equal(events.Count - 1, Index((await new FileCheckpointStore(_checkpoint).LoadAsync(default))!.LastEventId));
                List<WebhookDeadLetter> pending = await ReadDeadLettersAsync(pendingPath);
                Assert.Equal(held, pending.Select(p => p.EventId)); // in the customer's order
                Assert.All(pending, p => Assert.Equal(("slow", "pending"), (p.Route, p.Reason)));
                Assert.True(pending[0].Attempts >= 1);
                await stop.CancelAsync();
                await run;
            }

            Assert.Equal(held, (await ReadDeadLettersAsync(pendingPath)).Select(p => p.EventId)); // kept on stop
            _receiver.Answer("slow", _ => Reply.Ok);
            await using var second = new WebhookForwarder(Loopback.OptionsFor(simulator), Feed(), Options(TimeProvider.System));
            using var stop2 = new CancellationTokenSource();
            Task run2 = second.RunAsync(stop2.Token);
            await Wait.UntilAsync(() => AcceptedIds("slow").Count == events.Count, "the held events are delivered after the restart");
            await stop2.CancelAsync();
            await run2;

            Assert.Equal(0, second.Forwarded); // nothing read again from the feed: the checkpoint had passed it all
            Assert.Equal(events.Count, _receiver.Accepted("fast").Count); // the fast route got nothing twice
            Assert.Equal(held, _receiver.Accepted("slow").Where(d => held.Contains(d.WebhookId)).Select(d => d.WebhookId)); // in order, once each
            Assert.False(File.Exists(pendingPath)); // all delivered: nothing kept
        }
        finally
        {
            File.Delete(pendingPath);
        }
    }
}
