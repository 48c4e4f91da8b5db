using System.Net;
using System.Text;
using System.Text.Json;
using EventStream.AspNetCore.Hosting;
using EventStream.AspNetCore.ServerSentEvents;
using EventStream.AspNetCore.ServerSentEvents.Internal;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;

namespace EventStream.Tests.AspNetCore;

/// <summary><c>MapEventStream</c> over real HTTP: resume, reset, filters, 400s, and a stalled client that is cut off.</summary>
[Collection(Alone.Name)] // the stalled-client test needs a healthy client to keep up with 1,000 events/s in real time
public class EventStreamEndpointTests
{
    private sealed record Sse(string? Id, string Type, string Data);

    private static async Task<(WebApplication App, HttpClient Http)> StartAsync(IntilerySimulator simulator, Action<EventStreamOptions>? configure = null, Action<EventFeedSettings>? settings = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventStream:BaseUrl"] = simulator.BaseUrl.ToString(),
            ["EventStream:ClientId"] = simulator.Options.ClientId,
            ["EventStream:AccountId"] = simulator.Options.AccountId,
            ["EventStream:BrandId"] = simulator.Options.BrandId,
            ["EventStream:AuthToken"] = simulator.Options.Token,
            ["EventStream:Start"] = "beginning",
        });
        builder.Services.AddEventFeed(configure: settings);
        WebApplication app = builder.Build();
        app.MapEventStream("/events", configure: configure);
        await app.StartAsync();
        return (app, new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = Timeout.InfiniteTimeSpan });
    }

    // Reads server-sent events until `take` of the wanted type have come (or the stream ends).
    private static async Task<List<Sse>> ReadAsync(HttpClient http, string url, int take, string type = "message", string? lastEventId = null, Func<List<Sse>, bool>? until = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var all = new List<Sse>();
        string? id = null, eventType = null;
        var data = new StringBuilder();
        int wanted = 0;
        bool done = false;
        while (!done && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0)
            {
                all.Add(new Sse(id, eventType ?? "message", data.ToString()));
                wanted += all[^1].Type == type ? 1 : 0;
                done = wanted >= take || (until is not null && until(all));
                (id, eventType) = (null, null);
                data.Clear();
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                eventType = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(data.Length > 0 ? "\n" : "").Append(line[6..]);
            }
        }

        return all;
    }

    /// <summary>
    /// Reads as a browser's EventSource does: when the server says <c>lagged</c> and closes the stream (a replay larger than
    /// the connection's buffer, or a slow reader), connects again with the last id it had, until <paramref name="until"/>
    /// (which sees the current connection's items) says it has enough or the stream ends otherwise.
    /// </summary>
    private static async Task<List<Sse>> ReadResumingAsync(HttpClient http, string url, string lastEventId, Func<List<Sse>, bool> until)
    {
        var all = new List<Sse>();
        for (int connection = 0; connection < 20; connection++)
        {
            List<Sse> got = await ReadAsync(http, url, int.MaxValue, lastEventId: lastEventId, until: until);
            all.AddRange(got);
            if (got is not [.., { Type: "lagged" }])
            {
                return all;
            }

            lastEventId = got.LastOrDefault(e => e.Id is not null)?.Id ?? lastEventId;
        }

        throw new InvalidOperationException("still lagged after 20 connections");
    }

    [Fact]
    public async Task Events_AreTheJsonAsReceived_AndLastEventIdResumesWithNoGapNoDuplicate()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        var backlog = simulator.AddBacklog(400, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1)).ToDictionary(e => e.EventId, e => Encoding.UTF8.GetString(e.Json));
        (WebApplication app, HttpClient http) = await StartAsync(simulator);
        await using (app)
        using (http)
        {
            List<Sse> first = [.. (await ReadAsync(http, "/events", 150)).Where(e => e.Type == "message")];
            List<Sse> rest = [.. (await ReadAsync(http, "/events", 250, lastEventId: first[^1].Id)).Where(e => e.Type == "message")];

            var ids = first.Concat(rest).Select(e => JsonDocument.Parse(e.Data).RootElement.GetProperty("eventId").GetString()!).ToList();
            Assert.Equal(400, ids.Count);
            Assert.Equal(backlog.Keys.Order(), ids.Order()); // every event once across the reconnect
            Assert.All(first.Concat(rest), e => Assert.Equal(backlog[JsonDocument.Parse(e.Data).RootElement.GetProperty("eventId").GetString()!], e.Data));
            Assert.Equal(400, first.Concat(rest).Select(e => e.Id).Distinct().Count());
        }
    }

    // A feed with a checkpoint file that catches up slowly (10 requests/s, 100 events a page), so a server can stop mid-way.
    private static Action<EventFeedSettings> Checkpointed(string file) => s =>
    {
        s.CheckpointFile = file;
        s.ConfigureApi = o => (o.RequestsPerSecond, o.Burst) = (10, 1);
    };

    private static string IdOf(Sse e) => JsonDocument.Parse(e.Data).RootElement.GetProperty("eventId").GetString()!;

    [Fact]
    public async Task ServerStoppedGracefully_AndStartedAgain_TheClientResumesExactlyOnce()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        var backlog = simulator.AddBacklog(3_000, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        string checkpoint = Path.Combine(Path.GetTempPath(), $"sse-restart-{Guid.NewGuid():N}.json");
        try
        {
            List<Sse> first;
            (WebApplication app, HttpClient http) = await StartAsync(simulator, settings: Checkpointed(checkpoint));
            await using (app)
            using (http)
            {
                // Read until the server ends the stream; stop it once 500 events have come (the feed is mid catch-up).
                Task<List<Sse>> reading = ReadAsync(http, "/events?status=false", int.MaxValue);
                await Wait.UntilAsync(() => reading.IsCompleted || simulator.RequestCount >= 6, "the reader ends or the server has had six requests");
                await app.StopAsync();
                first = [.. (await reading).Where(e => e.Type == "message")];
            }

            Assert.InRange(first.Count, 1, 2_999); // stopped mid-way, and the stream ended (the feed had stopped first)
            (app, http) = await StartAsync(simulator, settings: Checkpointed(checkpoint));
            await using (app)
            using (http)
            {
                int wanted = 3_000 - first.Count;
                List<Sse> rest = await ReadResumingAsync(http, "/events?status=false", first[^1].Id!, until: all => all[^1].Type == "message" && --wanted == 0);

                Assert.DoesNotContain(rest, e => e.Type == "reset");
                string[] ids = [.. first.Concat(rest.Where(e => e.Type == "message")).Select(IdOf)];
                Assert.Equal(ids.Length, ids.Distinct().Count()); // no duplicate
                Assert.Equal(backlog.Select(e => e.EventId).Order(), ids.Order()); // no gap
            }
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    [Fact]
    public async Task ServerCrashed_AndStartedFromAnOlderCheckpoint_TheClientResumesWithNoGap_RepeatsTellableByEventId()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        var backlog = simulator.AddBacklog(3_000, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        string checkpoint = Path.Combine(Path.GetTempPath(), $"sse-crash-{Guid.NewGuid():N}.json");
        try
        {
            List<Sse> first;
            (WebApplication app, HttpClient http) = await StartAsync(simulator, settings: Checkpointed(checkpoint));
            await using (app)
            using (http)
            {
                Task<List<Sse>> reading = ReadAsync(http, "/events?status=false", int.MaxValue);
                await Wait.UntilAsync(() => File.Exists(checkpoint) && simulator.RequestCount >= 8, "a checkpoint is saved after eight requests");
                byte[] atCrash = File.ReadAllBytes(checkpoint); // what a crash now would leave: the last save, behind the client
                await Wait.UntilAsync(() => simulator.RequestCount >= 14, "the server has had fourteen requests");
                await app.StopAsync();
                first = [.. (await reading).Where(e => e.Type == "message")];
                File.WriteAllBytes(checkpoint, atCrash);
            }

            (app, http) = await StartAsync(simulator, settings: Checkpointed(checkpoint));
            await using (app)
            using (http)
            {
                // Once the restarted feed has delivered the client's last event again, the client's id resolves.
                string last = IdOf(first[^1]);
                await ReadAsync(http, "/events?status=false", int.MaxValue, until: all => all[^1].Type == "message" && IdOf(all[^1]) == last);
                var had = first.Select(IdOf).ToHashSet();
                List<Sse> rest = await ReadResumingAsync(http, "/events?status=false", first[^1].Id!, until: all => (all[^1].Type != "message" || had.Add(IdOf(all[^1]))) && had.Count == 3_000);

                Assert.DoesNotContain(rest, e => e.Type == "reset");
                string[] ids = [.. first.Concat(rest.Where(e => e.Type == "message")).Select(IdOf)];
                Assert.Equal(backlog.Select(e => e.EventId).Order(), ids.Distinct().Order()); // no gap
                Assert.InRange(ids.Length - 3_000, 1, 1_500); // repeats: what followed the last save, bounded
            }
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    [Fact]
    public async Task TypedFeed_AnEventBreakingItsPlan_IsFollowedByItsViolations()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        simulator.AddBacklog(20, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        SimulatedEvent bad = HostileEvents.BreakingThePlan(simulator.Events, DateTimeOffset.UtcNow.AddMinutes(-50));
        simulator.Add(bad);
        (WebApplication app, HttpClient http) = await StartAsync(simulator, settings: s => s.ConfigureFeed = o => o.Catalog = EventStream.Typed.IntileryEvents.Catalog);
        await using (app)
        using (http)
        {
            List<Sse> items = await ReadAsync(http, "/events?status=false", 1, type: "violations");

            Sse violations = Assert.Single(items, e => e.Type == "violations");
            using JsonDocument v = JsonDocument.Parse(violations.Data);
            Assert.Equal(bad.EventId, v.RootElement.GetProperty("eventId").GetString());
            JsonElement first = v.RootElement.GetProperty("violations")[0];
            Assert.Equal("properties.price", first.GetProperty("path").GetString());
            Assert.Equal("WrongType", first.GetProperty("kind").GetString());
            int at = items.FindIndex(e => e.Type == "violations");
            Assert.Equal(bad.EventId, JsonDocument.Parse(items[at - 1].Data).RootElement.GetProperty("eventId").GetString()); // right after its event
            Assert.Equal(21, items.Count(e => e.Type == "message")); // every event still delivered, typed or not
        }
    }

    [Fact]
    public async Task UnknownLastEventId_GetsReset_ThenLiveEvents_AndStatusEventsFlowBeside()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        simulator.AddBacklog(50, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        (WebApplication app, HttpClient http) = await StartAsync(simulator);
        await using (app)
        using (http)
        {
            await ReadAsync(http, "/events", 50); // the feed has delivered its backlog into the replay buffer
            List<Sse> items = await ReadAsync(http, "/events", 1, type: "status", lastEventId: "deadbeef-12");

            Assert.Equal("reset", items[0].Type);
            Assert.Contains("deadbeef-12", items[0].Data, StringComparison.Ordinal);
            Assert.Contains(items, e => e.Type == "status" && JsonDocument.Parse(e.Data).RootElement.GetProperty("state").GetString() is "Live" or "CatchingUp");
        }
    }

    [Fact]
    public async Task Filters_ActionAndLate_AndBadQueries_Are400WithAReason()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        var backlog = simulator.AddBacklog(300, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        (WebApplication app, HttpClient http) = await StartAsync(simulator);
        await using (app)
        using (http)
        {
            int pages = backlog.Count(e => e.Action == "page");
            List<Sse> only = [.. (await ReadAsync(http, "/events?action=page&status=false", pages)).Where(e => e.Type == "message")];
            Assert.Equal(pages, only.Count);
            Assert.All(only, e => Assert.Equal("page", JsonDocument.Parse(e.Data).RootElement.GetProperty("eventAction").GetString()));

            foreach (string bad in new[] { "/events?late=maybe", "/events?action=", "/events?colour=red", "/events?status=1" })
            {
                HttpResponseMessage response = await http.GetAsync(bad);
                Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                Assert.Contains("\"error\":", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public async Task StalledClient_GetsLaggedAndIsCut_TheFeedAndOtherClientsGoOn()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.LiveRate = 1_000; o.Burst = 1_000; });
        (WebApplication app, HttpClient http) = await StartAsync(simulator, o => o.ClientBufferCapacity = 1_000);
        await using (app)
        using (http)
        {
            // A client that connects and then does not read: its socket fills, then its 1,000-event buffer.
            using var stalled = new HttpRequestMessage(HttpMethod.Get, "/events?status=false");
            using HttpResponseMessage stalledResponse = await http.SendAsync(stalled, HttpCompletionOption.ResponseHeadersRead);
            List<Sse> healthy = [.. (await ReadAsync(http, "/events?status=false", 12_000)).Where(e => e.Type == "message")];

            // The other client got 12,000 consecutive events: nobody waited for the stalled one.
            long[] numbers = [.. healthy.Select(e => EventStreamHub.ParseId(e.Id!).Sequence)];
            Assert.Equal(12_000, numbers.Length);
            Assert.Equal(Enumerable.Range(0, numbers.Length).Select(i => numbers[0] + i), numbers);

            // When the stalled client finally reads, its stream ends with `lagged`, well short of everything.
            using var reader = new StreamReader(await stalledResponse.Content.ReadAsStreamAsync());
            string rest = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains("event: lagged", rest, StringComparison.Ordinal);
            Assert.True(rest.Split("\n\n").Length < 12_000);
        }
    }
}
