using System.Diagnostics;
using System.Globalization;
using System.Net;
using EventStream.Api;
using EventStream.Feed;
using EventStream.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EventStream.Benchmarks;

/// <summary>
/// <c>webhooks N</c>: deliveries per second and per core. <c>eventstream serve</c> (an N-event backlog, rate limit off) and
/// a Kestrel receiver (this program as <c>webhook-receiver</c>: answers 204 to every POST, counts them) each in their own
/// process; in this one: (1) the feed alone catching up the backlog (the baseline), (2) a <see cref="WebhookForwarder"/>
/// with one signed route to the receiver delivering it (16 in flight, keep-alive) — events/s and this process's CPU per
/// event for both; the difference is what delivering costs.
/// </summary>
internal static class WebhookThroughput
{
    public static async Task RunAsync(int backlog)
    {
        using SimulatorProcess simulator = SimulatorProcess.Start(backlog, requestsPerSecond: 0, burst: 500, liveRate: 1, brands: 1);
        using Receiver receiver = await Receiver.StartAsync();
        Console.WriteLine($"# {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, backlog {backlog:N0} events, receiver {receiver.Url}");
        DateTimeOffset until = DateTimeOffset.UtcNow.AddMinutes(-1);

        (double feedSeconds, double feedCpu, long feedEvents) = await ProcessCost.MeasureAsync(async () =>
        {
            await using var feed = new EventFeed(Api(simulator), new FeedOptions { Start = FeedStart.Beginning, Until = until });
            long n = 0;
            await foreach (EventStream.Parsing.IntileryEvent _ in feed.ReadAllAsync())
            {
                n++;
            }

            return n;
        });
        Console.WriteLine($"feed alone: {feedEvents:N0} events in {feedSeconds:F1} s = {feedEvents / feedSeconds:N0}/s, {feedCpu / feedEvents * 1e6:F2} µs CPU/event");

        string deadLetters = Path.Combine(Path.GetTempPath(), $"bench-dead-{Guid.NewGuid():N}.ndjson");
        (double seconds, double cpu, long delivered) = await ProcessCost.MeasureAsync(async () =>
        {
            var options = new WebhookForwarderOptions
            {
                Routes = [new WebhookRoute { Name = "bench", Endpoint = new Uri(receiver.Url, "/hook"), Secrets = ["whsec_" + Convert.ToBase64String(new byte[32])] }],
                DeadLetterPath = deadLetters,
                DrainTimeout = TimeSpan.FromMinutes(1),
            };
            await using var forwarder = new WebhookForwarder(Api(simulator), new FeedOptions { Start = FeedStart.Beginning, Until = until }, options);
            await forwarder.RunAsync(CancellationToken.None);
            return forwarder.Routes[0].Delivered;
        });
        File.Delete(deadLetters);
        long received = await receiver.CountAsync();
        Console.WriteLine($"forwarder: {delivered:N0} delivered ({received:N0} received) in {seconds:F1} s = {delivered / seconds:N0}/s, {cpu / delivered * 1e6:F2} µs CPU/event "
            + $"({(cpu / delivered - feedCpu / feedEvents) * 1e6:F2} µs for delivering); {delivered / cpu:N0} deliveries per CPU-second of this process");
    }

    /// <summary>The receiver's process: Kestrel on a free loopback port, 204 to every POST to /hook; GET /count says how many.</summary>
    public static async Task ServeAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        long count = 0;
        app.MapPost("/hook", async (HttpContext context) =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            Interlocked.Increment(ref count);
            return Results.NoContent();
        });
        app.MapGet("/count", () => Interlocked.Read(ref count).ToString(CultureInfo.InvariantCulture));
        await app.StartAsync();
        Console.WriteLine(app.Urls.First());
        await app.WaitForShutdownAsync();
    }

    private static EventsApiOptions Api(SimulatorProcess simulator) => new()
    {
        BaseUrl = simulator.BaseUrl, ClientId = "demo", AccountId = "demo", BrandId = "DEMO", AuthToken = simulator.Token, RequestsPerSecond = 100_000, Burst = 100_000,
    };

    private sealed class Receiver : IDisposable
    {
        private static readonly HttpClient Http = new();
        private readonly Process _process;

        private Receiver(Process process, Uri url) => (_process, Url) = (process, url);

        public Uri Url { get; }

        public static async Task<Receiver> StartAsync()
        {
            var start = new ProcessStartInfo(Environment.ProcessPath!, ["webhook-receiver"]) { RedirectStandardOutput = true };
            if (Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet")
            {
                start = new ProcessStartInfo("dotnet", [typeof(WebhookThroughput).Assembly.Location, "webhook-receiver"]) { RedirectStandardOutput = true };
            }

            Process process = Process.Start(start)!;
            string? url = await process.StandardOutput.ReadLineAsync();
            if (url is null || !Uri.TryCreate(url, UriKind.Absolute, out Uri? uri))
            {
                process.Kill();
                throw new InvalidOperationException($"the receiver did not start: '{url}'");
            }

            return new Receiver(process, uri);
        }

        public async Task<long> CountAsync() => long.Parse(await Http.GetStringAsync(new Uri(Url, "/count")), CultureInfo.InvariantCulture);

        public void Dispose()
        {
            _process.Kill();
            _process.WaitForExit();
            _process.Dispose();
        }
    }
}
