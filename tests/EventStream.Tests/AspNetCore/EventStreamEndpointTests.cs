using System.Net;
using System.Text;
using System.Text.Json;
using EventStream.AspNetCore.Hosting;
using EventStream.AspNetCore.ServerSentEvents;
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
    private static async Task<List<Sse>> ReadAsync(HttpClient http, string url, int take, string type = "message", string? lastEventId = null)
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
        while (all.Count(e => e.Type == type) < take && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length == 0)
            {
                all.Add(new Sse(id, eventType ?? "message", data.ToString()));
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
            long[] numbers = [.. healthy.Select(e => long.Parse(e.Id![(e.Id!.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture))];
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
