using EventStream.Tests.Infrastructure;
using EventStream.Webhooks;
using EventStream.Webhooks.Internal;
using Microsoft.Extensions.Time.Testing;
using static EventStream.Tests.Webhooks.WebhookTestKit;

namespace EventStream.Tests.Webhooks;

/// <summary>
/// Delivery against a real receiver (Kestrel on loopback) with the retry clock faked: the schedule, Retry-After,
/// timeouts, 3xx/4xx/410, per-customer order, dead letters, logs. Each forwarder's deliveries carry the fake clock's
/// time in <c>webhook-timestamp</c>, so the receiver's record shows exactly when each attempt was made.
/// </summary>
public sealed class RouteDeliveryTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));
    private readonly string _deadLetters = TempFile("dead");
    private readonly CapturingLogger _log = new();
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync() => _receiver = await WebhookReceiver.StartAsync(strictTimestamps: false);

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        File.Delete(_deadLetters);
    }

    private WebhookForwarder Forwarder(IReadOnlyList<TimeSpan>? schedule = null, params WebhookRoute[] routes) => new(new WebhookForwarderOptions
    {
        Routes = routes,
        TimeProvider = _time,
        Jitter = 0,
        RetrySchedule = schedule ?? WebhookForwarderOptions.DefaultRetrySchedule,
        DeadLetterPath = _deadLetters,
        Logger = _log,
    }, handler: null);

    private WebhookRoute Route(string name, int concurrency = 4, int capacity = 100, WhenQueueFull whenFull = WhenQueueFull.Wait) => new()
    {
        Name = name,
        Endpoint = _receiver.Url(name),
        Secrets = [Secret1],
        Concurrency = concurrency,
        QueueCapacity = capacity,
        WhenFull = whenFull,
    };

    [Fact]
    public async Task Retry_500ThenOk_SecondAttemptFiveSecondsLaterOnTheScheduleWithTheSameWebhookId()
    {
        _receiver.Verify("a", Secret1);
        _receiver.Answer("a", d => d.Attempt == 1 ? new Reply(500) : Reply.Ok);
        await using WebhookForwarder forwarder = Forwarder(null, Route("a"));

        await forwarder.ForwardAsync(Event("e1", "c1"), default);
        await forwarder.Route("a").WaitForRetriesAsync(1);
        Assert.Equal(TimeSpan.FromSeconds(5), forwarder.Route("a").LastRetryDelay);
        _time.Advance(TimeSpan.FromSeconds(5));
        await Wait.UntilAsync(() => _receiver.Accepted("a").Count == 1, "the retry is accepted");

        IReadOnlyList<ReceivedDelivery> got = _receiver.Received("a");
        Assert.Equal(["e1", "e1"], got.Select(d => d.WebhookId));
        Assert.Equal(5, got[1].Timestamp - got[0].Timestamp);
        Assert.All(got, d => Assert.True(d.Verified, d.VerifyError));
        await Wait.UntilAsync(() => forwarder.Unacknowledged == 0, "acknowledged");
        Assert.False(forwarder.Routes[0].Failing);
    }

    [Fact]
    public async Task RetryAfter_429WithRetryAfter120_WaitsTheServersDelayNotTheSchedules()
    {
        _receiver.Answer("a", d => d.Attempt == 1 ? new Reply(429, RetryAfter: TimeSpan.FromSeconds(120)) : Reply.Ok);
        await using WebhookForwarder forwarder = Forwarder(null, Route("a"));

        await forwarder.ForwardAsync(Event("e1", "c1"), default);
        await forwarder.Route("a").WaitForRetriesAsync(1);
        Assert.Equal(TimeSpan.FromSeconds(120), forwarder.Route("a").LastRetryDelay);
        _time.Advance(TimeSpan.FromSeconds(120));
        await Wait.UntilAsync(() => _receiver.Accepted("a").Count == 1, "the retry is accepted");

        IReadOnlyList<ReceivedDelivery> got = _receiver.Received("a");
        Assert.Equal(120, got[1].Timestamp - got[0].Timestamp);
    }

    [Fact]
    public async Task Schedule_EveryAttemptFails_DeadLetteredWithLastStatusBodyExcerptAndAttempts()
    {
        _receiver.Answer("a", _ => new Reply(503, Body: "down for maintenance"));
        TimeSpan[] schedule = [TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];
        await using WebhookForwarder forwarder = Forwarder(schedule, Route("a"));

        await forwarder.ForwardAsync(Event("e1", "c1"), default);
        await forwarder.Route("a").WaitForRetriesAsync(1);
        _time.Advance(TimeSpan.FromSeconds(1));
        await forwarder.Route("a").WaitForRetriesAsync(2);
        _time.Advance(TimeSpan.FromSeconds(2));
        await Wait.UntilAsync(() => forwarder.Unacknowledged == 0, "dead-lettered");

        WebhookDeadLetter letter = Assert.Single(await ReadDeadLettersAsync(_deadLetters));
        Assert.Equal(("a", "e1", "retries exhausted", 503, "down for maintenance", 3), (letter.Route, letter.EventId, letter.Reason, letter.Status, letter.BodyExcerpt, letter.Attempts));
        Assert.Equal("e1", letter.Event.GetProperty("eventId").GetString());
        Assert.Equal(3, _receiver.Received("a").Count);
        Assert.Equal([0L, 1, 3], _receiver.Received("a").Select(d => d.Timestamp - _receiver.Received("a")[0].Timestamp));
    }

    [Fact]
    public async Task Rejected_400_DeadLetteredAfterOneAttempt()
    {
        _receiver.Answer("a", _ => new Reply(400, Body: "{\"error\":\"bad\"}"));
        await using WebhookForwarder forwarder = Forwarder(null, Route("a"));

        await forwarder.ForwardAsync(Event("e1", "c1"), default);
        await Wait.UntilAsync(() => forwarder.Unacknowledged == 0, "dead-lettered");

        WebhookDeadLetter letter = Assert.Single(await ReadDeadLettersAsync(_deadLetters));
        Assert.Equal(("rejected", 400, 1), (letter.Reason, letter.Status, letter.Attempts));
        Assert.Equal("{\"error\":\"bad\"}", letter.BodyExcerpt);
        Assert.Equal(0, forwarder.Route("a").RetriesScheduled);
    }

    [Fact]
    public async Task Gone_410_DisablesTheRouteSaysSoAndTheOtherRouteKeepsDelivering()
    {
        _receiver.Answer("gone", _ => new Reply(410));
        await using WebhookForwarder forwarder = Forwarder(null, Route("gone", concurrency: 1), Route("live"));

        await forwarder.ForwardAsync(Event("e1", "c1"), default);
        await Wait.UntilAsync(() => forwarder.Routes.Single(r => r.Name == "gone").Disabled, "the route is disabled");
        await forwarder.ForwardAsync(Event("e2", "c2"), default);
        await forwarder.ForwardAsync(Event("e3", "c1"), default);
        await Wait.UntilAsync(() => forwarder.Unacknowledged == 0, "everything acknowledged");

        Assert.Single(_receiver.Received("gone"));
        Assert.Equal(["e1", "e2", "e3"], _receiver.Accepted("live").Select(d => d.WebhookId).Order());
        List<WebhookDeadLetter> letters = await ReadDeadLettersAsync(_deadLetters);
        Assert.Equal(["e1:gone", "e2:route disabled", "e3:route disabled"], letters.Select(l => $"{l.EventId}:{l.Reason}").Order());
        Assert.Contains(_log.Lines, l => l.StartsWith("Error:", StringComparison.Ordinal) && l.Contains("Webhook route gone disabled", StringComparison.Ordinal) && l.Contains("410 Gone", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Redirect_302_IsAFailureRetriedAndNeverFollowed()
    {
        _receiver.Answer("a", d => d.Attempt == 1 ? new Reply(302, Location: _receiver.Url("elsewhere").ToString()) : Reply.Ok);
        await using WebhookForwarder forwarder = Forwarder(null, Route("a"));

        await forwarder.ForwardAsync(Event("e1", "c1"), default);
        await forwarder.Route("a").WaitForRetriesAsync(1); // after the 302's response was handled: a followed redirect would be recorded by now

        Assert.Empty(_receiver.Received("elsewhere"));
        Assert.Equal(302, forwarder.Routes[0].LastStatus);
        Assert.True(forwarder.Routes[0].Failing);
        _time.Advance(TimeSpan.FromSeconds(5));
        await Wait.UntilAsync(() => _receiver.Accepted("a").Count == 1, "the retry is accepted");
        Assert.Empty(_receiver.Received("elsewhere"));
    }

    [Fact]
    public async Task Timeout_HangingEndpoint_AttemptAbandonedAfter15SecondsAndRetried()
    {
        _receiver.Answer("a", d => d.Attempt == 1 ? new Reply(Hang: true) : Reply.Ok);
        await using WebhookForwarder forwarder = Forwarder(null, Route("a"));

        await forwarder.ForwardAsync(Event("e1", "c1"), default);
        await Wait.UntilAsync(() => _receiver.Hanging == 1, "the endpoint hangs");
        _time.Advance(TimeSpan.FromSeconds(15));
        await forwarder.Route("a").WaitForRetriesAsync(1);
        _time.Advance(TimeSpan.FromSeconds(5));
        await Wait.UntilAsync(() => _receiver.Accepted("a").Count == 1, "the retry is accepted");

        IReadOnlyList<ReceivedDelivery> got = _receiver.Received("a");
        Assert.Equal(20, got[1].Timestamp - got[0].Timestamp);
        Assert.Contains(_log.Lines, l => l.Contains("no response within 15 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Order_OneCustomersRetryHoldsItsLaterEventsButNotOtherCustomers()
    {
        _receiver.Answer("a", d => d.WebhookId == "a1" && d.Attempt == 1 ? new Reply(500) : Reply.Ok);
        await using WebhookForwarder forwarder = Forwarder(null, Route("a"));

        await forwarder.ForwardAsync(Event("a1", "alice", second: 1), default);
        await forwarder.Route("a").WaitForRetriesAsync(1);
        await forwarder.ForwardAsync(Event("a2", "alice", second: 2), default);
        await forwarder.ForwardAsync(Event("b1", "bob", second: 3), default);
        await Wait.UntilAsync(() => _receiver.Accepted("a").Any(d => d.WebhookId == "b1"), "bob's event is delivered while alice's waits");
        _time.Advance(TimeSpan.FromSeconds(5));
        await Wait.UntilAsync(() => _receiver.Accepted("a").Count == 3, "all delivered");

        Assert.Equal(["a1", "b1", "a1", "a2"], _receiver.Received("a").Select(d => d.WebhookId));
        Assert.Equal(0, _receiver.CustomerOverlaps);
    }

    [Fact]
    public async Task Log_OneLinePerRetryEpisodeAndOnePerRecovery()
    {
        _receiver.Answer("a", d => d.Attempt <= 3 ? new Reply(500) : Reply.Ok);
        TimeSpan[] schedule = [TimeSpan.Zero, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)];
        await using WebhookForwarder forwarder = Forwarder(schedule, Route("a"));

        await forwarder.ForwardAsync(Event("e1", "c1"), default);
        for (int i = 1; i <= 3; i++)
        {
            await forwarder.Route("a").WaitForRetriesAsync(i);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        await Wait.UntilAsync(() => _receiver.Accepted("a").Count == 1, "delivered");
        await Wait.UntilAsync(() => _log.Lines.Any(l => l.Contains("delivering again", StringComparison.Ordinal)), "the recovery is logged");
        Assert.Single(_log.Lines, l => l.Contains("delivery failing (HTTP 500)", StringComparison.Ordinal));
        Assert.Contains(_log.Lines, l => l.Contains("Webhook route a: delivering again after 3 failed attempts over 3.0 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Log_AnotherCustomersSuccess_DoesNotEndTheEpisode_WhileAFailedEventWaits()
    {
        // Operated against an endpoint failing one request in five, the route said "delivery failing" and "delivering
        // again" for every failure (3,843 lines in 100 s), the status flapping with them: any success ended the episode.
        _receiver.Answer("a", d => d.WebhookId == "e1" && d.Attempt == 1 ? new Reply(500) : Reply.Ok);
        TimeSpan[] schedule = [TimeSpan.Zero, TimeSpan.FromSeconds(1)];
        await using WebhookForwarder forwarder = Forwarder(schedule, Route("a"));

        await forwarder.ForwardAsync(Event("e1", "alice", second: 1), default);
        await forwarder.Route("a").WaitForRetriesAsync(1);
        await forwarder.ForwardAsync(Event("e2", "bob", second: 2), default);
        // Delivered as the route counts it, not only as the receiver does: the route reads the answer after the receiver has recorded it.
        await Wait.UntilAsync(() => _receiver.Accepted("a").Any(d => d.WebhookId == "e2") && forwarder.Routes[0].Delivered == 1, "bob's event is delivered while alice's waits");

        Assert.True(forwarder.Routes[0].Failing); // alice's event still waits for its retry
        Assert.Equal(1, forwarder.Routes[0].Retrying);
        Assert.Equal(200, forwarder.Routes[0].LastStatus); // bob's answer
        Assert.Equal("HTTP 500", forwarder.Routes[0].LastFailure); // alice's
        Assert.DoesNotContain(_log.Lines, l => l.Contains("delivering again", StringComparison.Ordinal));

        _time.Advance(TimeSpan.FromSeconds(1));
        await Wait.UntilAsync(() => _receiver.Accepted("a").Count == 2, "alice's event delivered on its retry");
        await Wait.UntilAsync(() => _log.Lines.Any(l => l.Contains("delivering again", StringComparison.Ordinal)), "the recovery is logged");
        Assert.Single(_log.Lines, l => l.Contains("delivery failing (HTTP 500)", StringComparison.Ordinal));
        Assert.Single(_log.Lines, l => l.Contains("Webhook route a: delivering again after 1 failed attempts over 1.0 s", StringComparison.Ordinal));
        Assert.False(forwarder.Routes[0].Failing);
        Assert.Equal(0, forwarder.Routes[0].Retrying);
    }

    [Fact]
    public async Task DeadEndpointForASimulatedHour_QueueBoundedOtherRouteGetsEverything()
    {
        _receiver.Answer("dead", _ => new Reply(503));
        await using WebhookForwarder forwarder = Forwarder(null, Route("dead", concurrency: 4, capacity: 20, whenFull: WhenQueueFull.DeadLetter), Route("live"));
        int sent = 0, maxQueued = 0, maxUnacknowledged = 0;
        for (int minute = 0; minute < 60; minute++)
        {
            for (int i = 0; i < 5; i++)
            {
                sent++;
                await forwarder.ForwardAsync(Event($"e{sent}", $"c{sent % 7}", second: sent % 60), default);
            }

            // Counted by the forwarder (response handled), so no delivery is in flight when the clock jumps a minute.
            await Wait.UntilAsync(() => forwarder.Routes.Single(r => r.Name == "live").Delivered == sent, $"the live route has delivered all {sent}");
            maxQueued = Math.Max(maxQueued, forwarder.Route("dead").Queued);
            maxUnacknowledged = Math.Max(maxUnacknowledged, forwarder.Unacknowledged);
            _time.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.Equal(300, _receiver.Accepted("live").Select(d => d.WebhookId).Distinct().Count());
        Assert.InRange(maxQueued, 1, 20);
        Assert.InRange(maxUnacknowledged, 1, 20);
        Assert.Null(forwarder.HeldBy);
        await Wait.UntilAsync(() => forwarder.Routes.Single(r => r.Name == "dead").DeadLettered + forwarder.Route("dead").Queued == 300, "every dead-route event is queued or dead-lettered");
        List<WebhookDeadLetter> letters = await ReadDeadLettersAsync(_deadLetters);
        Assert.All(letters, l => Assert.Equal("queue full", l.Reason));
        Assert.Equal(300 - forwarder.Route("dead").Queued, letters.Count);
        Assert.Single(_log.Lines, l => l.Contains("Webhook route dead: delivery failing", StringComparison.Ordinal));
    }

    [Fact]
    public async Task QueueFull_Wait_TheFeedWaitsAndStatusNamesTheRoute()
    {
        _receiver.Answer("slow", d => d.WebhookId == "e1" && d.Attempt == 1 ? new Reply(500) : Reply.Ok);
        await using WebhookForwarder forwarder = Forwarder(null, Route("slow", concurrency: 1, capacity: 2), Route("live"));

        await forwarder.ForwardAsync(Event("e1", "c1"), default);
        await forwarder.ForwardAsync(Event("e2", "c1"), default);
        ValueTask third = forwarder.ForwardAsync(Event("e3", "c2"), default);
        await Wait.UntilAsync(() => forwarder.HeldBy == "slow", "the feed waits for the slow route");

        Assert.False(third.IsCompleted);
        Assert.True(forwarder.Routes.Single(r => r.Name == "slow").HoldsFeed);
        await forwarder.Route("slow").WaitForRetriesAsync(1);
        _time.Advance(TimeSpan.FromSeconds(5));
        await third;
        await Wait.UntilAsync(() => forwarder.Unacknowledged == 0, "everything acknowledged");
        Assert.Null(forwarder.HeldBy);
    }

    [Fact]
    public async Task Replay_DeadLetters_SentAgainWithTheirWebhookIdAndBody()
    {
        _receiver.Answer("a", _ => new Reply(400));
        await using (WebhookForwarder first = Forwarder(null, Route("a")))
        {
            await first.ForwardAsync(Event("e1", "c1"), default);
            await first.ForwardAsync(Event("e2", "c2"), default);
            await Wait.UntilAsync(() => first.Unacknowledged == 0, "dead-lettered");
        }

        string replayed = _deadLetters;
        _receiver.Answer("a", _ => Reply.Ok);
        await using var second = new WebhookForwarder(new WebhookForwarderOptions { Routes = [Route("a")], DeadLetterPath = TempFile("dead2"), TimeProvider = _time });

        (int count, int unknown) = await second.ReplayAsync(NdjsonDeadLetterStore.ReadAsync(replayed), default);

        Assert.Equal((2, 0), (count, unknown));
        Assert.Equal(["e1", "e2"], _receiver.Accepted("a").Select(d => d.WebhookId).Order());
        ReceivedDelivery original = _receiver.Received("a").First(d => d.WebhookId == "e1");
        Assert.Equal(original.BodyText, _receiver.Accepted("a").Single(d => d.WebhookId == "e1").BodyText);
    }

    [Fact]
    public async Task DeadLetterFile_ALineThatIsNoDeadLetter_NamedByFileAndLine_AndALetterRoundTripsThroughItsJson()
    {
        WebhookDeadLetter letter = new("a", "e1", System.Text.Json.JsonDocument.Parse("{\"eventId\":\"e1\"}").RootElement, "rejected", 400, null, "no", 1, null, DateTimeOffset.UnixEpoch);
        WebhookDeadLetter back = WebhookDeadLetter.FromUtf8Json(letter.ToUtf8Json());
        Assert.Equal(letter with { Event = default }, back with { Event = default });
        Assert.Equal("{\"eventId\":\"e1\"}", back.Event.GetRawText());

        File.WriteAllText(_deadLetters, System.Text.Encoding.UTF8.GetString(letter.ToUtf8Json()) + "\n\n{\"route\":\"a\",\"eventId\":\"e2\"}\n");
        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => ReadDeadLettersAsync(_deadLetters));
        Assert.Equal($"{_deadLetters}:3 is not a dead letter: route, eventId and event are required.", ex.Message);
        Assert.Throws<InvalidDataException>(() => WebhookDeadLetter.FromUtf8Json("not json"u8));
    }

    [Fact]
    public async Task Envelope_ExtraHeaders_AndNoSecret_EnvelopeAroundTheExactEventHeadersSentUnsigned()
    {
        var route = new WebhookRoute
        {
            Name = "env",
            Endpoint = _receiver.Url("env"),
            Payload = WebhookPayload.Envelope,
            Headers = new Dictionary<string, string> { ["X-Api-Key"] = "k1" },
        };
        await using WebhookForwarder forwarder = Forwarder(null, route);
        EventStream.Parsing.IntileryEvent e = Event("e1", "c1", "email_clicked", second: 7);

        await forwarder.ForwardAsync(e, default);
        await Wait.UntilAsync(() => _receiver.Accepted("env").Count == 1, "delivered");

        ReceivedDelivery got = _receiver.Accepted("env")[0];
        string json = System.Text.Encoding.UTF8.GetString(e.Json.Span);
        Assert.Equal("{\"type\":\"email_clicked\",\"timestamp\":\"2024-05-14T09:00:07+00:00\",\"data\":" + json + "}", got.BodyText);
        Assert.Equal("k1", got.Headers["x-api-key"]);
        Assert.Equal("e1", got.Headers["webhook-id"]);
        Assert.False(got.Headers.ContainsKey("webhook-signature"));
    }

    [Fact]
    public async Task Metrics_AttemptsByStatusDeliveredDeadLetteredLatencyQueueDepthAndDisabled_OnTheEventStreamMeter()
    {
        string ok = "m-ok-" + Guid.NewGuid().ToString("N"), gone = "m-gone-" + Guid.NewGuid().ToString("N");
        _receiver.Answer(ok, d => d.Attempt == 1 ? new Reply(500) : Reply.Ok);
        _receiver.Answer(gone, _ => new Reply(410));
        var seen = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "EventStream" && instrument.Name.StartsWith("eventstream.webhook.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void Record<T>(System.Diagnostics.Metrics.Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var t = tags.ToArray().ToDictionary(k => k.Key, k => k.Value?.ToString());
            if (t.TryGetValue("eventstream.route", out string? route) && (route == ok || route == gone))
            {
                seen.Add($"{instrument.Name} {(route == ok ? "ok" : "gone")} {string.Join(",", t.Where(k => k.Key != "eventstream.route").Select(k => $"{k.Key}={k.Value}"))} {(instrument.Name.EndsWith("latency", StringComparison.Ordinal) ? "" : value)}".TrimEnd());
            }
        }

        listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        listener.Start();
        await using WebhookForwarder forwarder = Forwarder(null, Route(ok), Route(gone));

        await forwarder.ForwardAsync(Event("e1", "c1"), default);
        await forwarder.Route(ok).WaitForRetriesAsync(1);
        listener.RecordObservableInstruments();
        _time.Advance(TimeSpan.FromSeconds(5));
        await Wait.UntilAsync(() => forwarder.Unacknowledged == 0, "acknowledged");
        listener.RecordObservableInstruments();

        Assert.Contains("eventstream.webhook.attempts ok http.response.status_code=500 1", seen);
        Assert.Contains("eventstream.webhook.attempts ok http.response.status_code=200 1", seen);
        Assert.Contains("eventstream.webhook.delivered ok  1", seen);
        Assert.Contains("eventstream.webhook.ack_latency ok", seen);
        Assert.Contains("eventstream.webhook.attempts gone http.response.status_code=410 1", seen);
        Assert.Contains("eventstream.webhook.dead_lettered gone eventstream.reason=gone 1", seen);
        Assert.Contains("eventstream.webhook.queue.depth ok  1", seen);
        Assert.Contains("eventstream.webhook.queue.depth ok  0", seen);
        Assert.Contains("eventstream.webhook.routes.disabled gone  1", seen);
        Assert.Contains("eventstream.webhook.routes.disabled ok  0", seen);
    }
}
