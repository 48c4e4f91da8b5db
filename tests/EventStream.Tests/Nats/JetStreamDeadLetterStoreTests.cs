using System.Text.Json;
using EventStream.Nats;
using EventStream.Tests.Infrastructure;
using EventStream.Webhooks;
using NATS.Client.Core;
using NATS.Client.JetStream;
using static EventStream.Tests.Webhooks.WebhookTestKit;

namespace EventStream.Tests.Nats;

/// <summary>Webhook dead letters in a JetStream stream of a real nats-server, replayed to a real receiver (Kestrel on loopback).</summary>
public sealed class JetStreamDeadLetterStoreTests : IAsyncLifetime
{
    private NatsServer _server = null!;
    private NatsConnection _nats = null!;
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        _server = await NatsServer.StartAsync();
        _nats = _server.Connect();
        _receiver = await WebhookReceiver.StartAsync(strictTimestamps: false);
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _nats.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static WebhookDeadLetter Letter(string route, string id, string reason = "rejected", int? status = 400) => new(
        route, id, JsonDocument.Parse(System.Text.Encoding.UTF8.GetString(Event(id, "c-" + id).Json.Span)).RootElement.Clone(), reason, status,
        status is null ? "connection refused" : null, status is null ? null : "{\"error\":\"bad\"}", 3,
        new DateTimeOffset(2026, 12, 2, 9, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 12, 2, 9, 5, 0, TimeSpan.Zero));

    private static async Task<List<WebhookDeadLetter>> ReadAllAsync(JetStreamDeadLetterStore store)
    {
        var letters = new List<WebhookDeadLetter>();
        await foreach (WebhookDeadLetter letter in store.ReadAsync())
        {
            letters.Add(letter);
        }

        return letters;
    }

    private static void AssertSame(WebhookDeadLetter expected, WebhookDeadLetter actual)
    {
        Assert.Equal(expected.Event.GetRawText(), actual.Event.GetRawText());
        Assert.Equal(expected with { Event = default }, actual with { Event = default });
    }

    [Fact]
    public async Task Added_AreReadBackWhole_InOrder_OnASubjectPerRoute_AndAnAddTriedAgainIsStoredOnce()
    {
        JetStreamDeadLetterStore store = await JetStreamDeadLetterStore.CreateAsync(new NatsJSContext(_nats));
        WebhookDeadLetter[] letters = [Letter("zapier", "e1"), Letter("crm.eu", "e2", "retries exhausted", status: null), Letter("zapier", "e3", "gone", 410)];
        foreach (WebhookDeadLetter letter in letters)
        {
            await store.AddAsync(letter, CancellationToken.None);
        }

        await store.AddAsync(letters[0], CancellationToken.None); // its ack was lost: published again, the same message id

        List<WebhookDeadLetter> read = await ReadAllAsync(store);
        Assert.Equal(3, read.Count);
        for (int i = 0; i < 3; i++)
        {
            AssertSame(letters[i], read[i]);
        }

        INatsJSStream stream = await new NatsJSContext(_nats).GetStreamAsync(JetStreamDeadLetterStore.DefaultStreamName);
        Assert.Equal(3L, stream.Info.State.Messages);
        Assert.Equal("webhook_dead_letters.crm=2Eeu", (await stream.GetAsync(new NATS.Client.JetStream.Models.StreamMsgGetRequest { Seq = 2 })).Message.Subject);
        Assert.Empty(await ReadAllAsync(await JetStreamDeadLetterStore.CreateAsync(new NatsJSContext(_nats), "OTHER_LETTERS")));
    }

    [Fact]
    public async Task Replay_DeliversThem_ThenRemovesThem_KeepingThoseFailingAgainAndThoseOfARouteNotConfigured()
    {
        JetStreamDeadLetterStore store = await JetStreamDeadLetterStore.CreateAsync(new NatsJSContext(_nats), "DL", "dl.hooks");
        await store.AddAsync(Letter("a", "e1"), CancellationToken.None);
        await store.AddAsync(Letter("b", "e2"), CancellationToken.None);
        await store.AddAsync(Letter("gone-route", "e3"), CancellationToken.None);
        await store.AddAsync(Letter("a", "e4"), CancellationToken.None);
        _receiver.Answer("a", _ => Reply.Ok);
        _receiver.Answer("b", _ => new Reply(422)); // rejected again: a dead letter anew, in the same stream

        await using var forwarder = new WebhookForwarder(new WebhookForwarderOptions
        {
            Routes = [new WebhookRoute { Name = "a", Endpoint = _receiver.Url("a") }, new WebhookRoute { Name = "b", Endpoint = _receiver.Url("b") }],
            DeadLetters = store,
        });
        (int replayed, int kept) = await store.ReplayAsync(forwarder);

        Assert.Equal((3, 1), (replayed, kept));
        Assert.Equal(["e1", "e4"], _receiver.Accepted("a").Select(d => d.WebhookId).Order());
        Assert.Equal(["e2"], _receiver.Received("b").Select(d => d.WebhookId));
        List<WebhookDeadLetter> left = await ReadAllAsync(store);
        Assert.Equal([("b", "e2", 422), ("gone-route", "e3", 400)], left.Select(l => (l.Route, l.EventId, l.Status ?? 0)).Order());
        Assert.Equal(2L, (await new NatsJSContext(_nats).GetStreamAsync("DL")).Info.State.Messages);
    }

    [Fact]
    public async Task NatsDown_AnAddFailsWithinItsTimeout_SayingWhy_AndSucceedsOnceTheServerIsBack()
    {
        JetStreamDeadLetterStore store = await JetStreamDeadLetterStore.CreateAsync(new NatsJSContext(_nats));
        store.AckTimeout = TimeSpan.FromSeconds(1);
        _server.Kill();

        // Without its own timeout the add would wait for the server to come back (NATS.Net holds the publish).
        Task add = store.AddAsync(Letter("a", "e1"), CancellationToken.None).AsTask();
        Assert.Same(add, await Task.WhenAny(add, Task.Delay(TimeSpan.FromSeconds(30))));
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => add);
        Assert.True(ex is TimeoutException or NatsException, ex.ToString());
        if (ex is TimeoutException)
        {
            Assert.Equal("JetStream stream WEBHOOK_DEAD_LETTERS did not acknowledge the dead letter within 1 s", ex.Message);
        }

        await _server.RestartAsync();
        await Wait.UntilAsync(() => _nats.ConnectionState == NatsConnectionState.Open, "reconnected", TimeSpan.FromSeconds(30));
        store.AckTimeout = TimeSpan.FromSeconds(10);
        await store.AddAsync(Letter("a", "e1"), CancellationToken.None);
        Assert.Single(await ReadAllAsync(store));
    }

    [Fact]
    public async Task AMessageThatIsNoDeadLetter_IsReportedWithItsSequence_AndBadNamesFailAtCreation()
    {
        var js = new NatsJSContext(_nats);
        JetStreamDeadLetterStore store = await JetStreamDeadLetterStore.CreateAsync(js);
        await store.AddAsync(Letter("a", "e1"), CancellationToken.None);
        (await js.PublishAsync("webhook_dead_letters.a", "{\"route\":\"a\"}"u8.ToArray())).EnsureSuccess();

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => ReadAllAsync(store));
        Assert.Contains("Message 2 of stream WEBHOOK_DEAD_LETTERS is not a dead letter", ex.Message, StringComparison.Ordinal);

        Assert.Equal("streamName", (await Assert.ThrowsAsync<ArgumentException>(() => JetStreamDeadLetterStore.CreateAsync(js, "dead.letters"))).ParamName);
        Assert.Equal("subjectPrefix", (await Assert.ThrowsAsync<ArgumentException>(() => JetStreamDeadLetterStore.CreateAsync(js, "DL", "dl.*"))).ParamName);
    }
}
