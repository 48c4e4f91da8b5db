// Runs as a Native AOT binary (see the project file): every step prints one "ok" line, and any failure exits non-zero.
using System.Net.Http.Headers;
using EventStream.Api;
using EventStream.AspNetCore.Dashboard;
using EventStream.AspNetCore.Hosting;
using EventStream.AspNetCore.ServerSentEvents;
using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Nats;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Typed;
using EventStream.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

await using IntilerySimulator simulator = await IntilerySimulator.StartAsync(new SimulatorOptions { Backlog = 300, LiveRate = 20 });
var api = new EventsApiOptions
{
    BaseUrl = simulator.BaseUrl,
    ClientId = simulator.Options.ClientId,
    AccountId = simulator.Options.AccountId,
    BrandId = simulator.Options.BrandId,
    AuthToken = simulator.Options.Token,
};

// The core: a feed from the beginning, typed events from the standard plan, a checkpoint through its JSON.
var store = new InMemoryCheckpointStore();
await using (var feed = new EventFeed(api, new FeedOptions { Start = FeedStart.Beginning, Catalog = IntileryEvents.Catalog, CheckpointStore = store }))
{
    int events = 0, typed = 0;
    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
    await foreach (IntileryEvent e in feed.ReadAllAsync(cts.Token))
    {
        events++;
        typed += e is PlannedEvent ? 1 : 0;
        if (events == 100)
        {
            break;
        }
    }

    await feed.SaveCheckpointAsync();
    Check(events == 100 && typed > 0, $"feed: {events} events, {typed} typed");
}

FeedCheckpoint? saved = await store.LoadAsync(default);
Check(saved is not null && FeedCheckpoint.FromUtf8Json(saved.ToUtf8Json()).LastEventId == saved.LastEventId, "checkpoint: saved and read back");
Check(NatsNames.Subject("events", "demo", "demo", "DEMO", "order completed").Length > 0, "nats: names");

// ASP.NET Core: AddEventFeed bound from configuration, the SSE endpoint (a status event and an event), the dashboard page.
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["EventStream:BaseUrl"] = simulator.BaseUrl.ToString(),
    ["EventStream:ClientId"] = simulator.Options.ClientId,
    ["EventStream:AccountId"] = simulator.Options.AccountId,
    ["EventStream:BrandId"] = simulator.Options.BrandId,
    ["EventStream:AuthToken"] = simulator.Options.Token,
    ["EventStream:AllowInsecureHttp"] = "true",
    ["EventStream:Start"] = "latest:20",
});
builder.Services.AddEventFeed();
await using WebApplication app = builder.Build();
app.MapEventStream("/events");
app.MapEventStreamDashboard();
int hooks = 0;
app.MapPost("/hook", (Microsoft.AspNetCore.Http.HttpRequest request) =>
{
    if (request.Headers.ContainsKey("webhook-id") && request.Headers.ContainsKey("webhook-signature"))
    {
        Interlocked.Increment(ref hooks);
    }

    return Microsoft.AspNetCore.Http.Results.NoContent();
});
await app.StartAsync();
var server = new Uri(app.Urls.First());

using var http = new HttpClient { BaseAddress = server, Timeout = TimeSpan.FromSeconds(60) };
string page = await http.GetStringAsync(new Uri("/", UriKind.Relative));
Check(page.Contains("<table", StringComparison.Ordinal), "dashboard: page served");
using (HttpResponseMessage bad = await http.GetAsync(new Uri("/events?status=maybe", UriKind.Relative)))
{
    string body = await bad.Content.ReadAsStringAsync();
    Check((int)bad.StatusCode == 400 && body.Contains("\"error\"", StringComparison.Ordinal), $"sse: a bad filter is 400 {body}");
}

using (var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/events", UriKind.Relative)))
{
    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
    using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
    bool status = false, data = false;
    while ((!status || !data) && await reader.ReadLineAsync() is { } line)
    {
        status |= line == "event: status";
        data |= line.StartsWith("data: {\"eventId\"", StringComparison.Ordinal) || (line.StartsWith("data: {", StringComparison.Ordinal) && line.Contains("\"eventAction\"", StringComparison.Ordinal));
    }

    Check(status && data, "sse: a status and an event");
}

// Webhooks: the backlog forwarded, signed, to a route on this app.
string deadLetters = Path.Combine(Path.GetTempPath(), $"aot-dead-letters-{Guid.NewGuid():N}.ndjson");
var routes = new WebhookForwarderOptions
{
    Routes = [new WebhookRoute { Name = "aot", Endpoint = new Uri(server, "/hook"), Secrets = ["whsec_" + Convert.ToBase64String(new byte[32])] }],
    DeadLetterPath = deadLetters,
};
await using (var forwarder = new WebhookForwarder(api, new FeedOptions { Start = FeedStart.Beginning, Until = DateTimeOffset.UtcNow, MaxLateness = TimeSpan.FromSeconds(1) }, routes))
{
    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
    await forwarder.RunAsync(cts.Token);
    long delivered = forwarder.Routes[0].Delivered;
    Check(delivered >= 300 && Volatile.Read(ref hooks) == delivered, $"webhooks: {delivered} delivered, {hooks} received signed");
}

File.Delete(deadLetters);
await app.StopAsync();
Console.WriteLine("aot: all ok");
return 0;

static void Check(bool condition, string what)
{
    if (!condition)
    {
        Console.Error.WriteLine($"FAILED: {what}");
        Environment.Exit(1);
    }

    Console.WriteLine($"ok: {what}");
}
