using System.Diagnostics;
using System.Net.Http.Headers;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using EventStream.Api;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;

namespace EventStream.Benchmarks;

/// <summary>
/// Catching up a backlog from the simulator over loopback: the feed under the documented limit, the feed with the
/// limit off, and the loop users write today (baseline). One run each; the figures that matter beyond time (events/s,
/// requests per event, 429s, CPU per event, lost and duplicated events) go to the console and to
/// <c>BenchmarkDotNet.Artifacts/end-to-end.md</c>. The simulator runs in the same process, so CPU time includes the server.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1)]
public class EndToEndBenchmarks
{
    private IntilerySimulator _limited = null!;
    private IntilerySimulator _unlimited = null!;
    private HashSet<string> _expected = [];

    /// <summary>Events in the backlog.</summary>
    [Params(200_000)]
    public int Backlog { get; set; } = 200_000;

    /// <summary>Quick mode (CI smoke test): a small backlog.</summary>
    public static bool Quick { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        int backlog = Quick ? 2_000 : Backlog;
        _limited = IntilerySimulator.StartAsync(new SimulatorOptions { Token = "limited", BurstShare = 0.02 }).GetAwaiter().GetResult();
        _unlimited = IntilerySimulator.StartAsync(new SimulatorOptions { Token = "unlimited", RequestsPerSecond = 0, BurstShare = 0.02 }).GetAwaiter().GetResult();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        IReadOnlyList<SimulatedEvent> events = _limited.AddBacklog(backlog, now.AddHours(-3), now.AddHours(-1));
        _unlimited.Add(events);
        _expected = [.. events.Select(e => e.EventId)];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _limited.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _unlimited.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "naive: timer + HttpClient + STJ + from paging + Rx Distinct")]
    public async Task<int> Naive()
    {
        // What users write today: poll, page with from/size until a short page, Distinct on the id. Default sort (newest first).
        var measure = Measure.Start(_limited);
        var received = new List<string>();
        var subject = new Subject<string>();
        using IDisposable sink = subject.Distinct().Subscribe(received.Add);
        using var http = new HttpClient();
        int duplicates = 0, requests = 0;
        var seen = new HashSet<string>();
        for (int from = 0; ; from += 100)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_limited.BaseUrl, $"demo/demo/DEMO/v1/events?from={from}&size=100"));
            request.Headers.Add("auth-token", "limited");
            request.Content = new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
            using HttpResponseMessage response = await http.SendAsync(request);
            requests++;
            if (!response.IsSuccessStatusCode)
            {
                break; // the 10,000-result window: a 400 the loop does not expect
            }

            PageDto page = (await JsonSerializer.DeserializeAsync(await response.Content.ReadAsStreamAsync(), PageJsonContext.Default.PageDto))!;
            foreach (EventDto e in page.Data)
            {
                duplicates += seen.Add(e.EventId!) ? 0 : 1;
                subject.OnNext(e.EventId!);
            }

            if (page.Data.Count < 100)
            {
                break;
            }
        }

        measure.Report("naive loop", received, _expected, duplicates, requests, _limited);
        return received.Count;
    }

    [Benchmark(Description = "EventFeed, documented limit (100/s, burst 500)")]
    public Task<int> FeedLimited() => RunFeedAsync(_limited, "EventFeed, limit 100/s burst 500");

    [Benchmark(Description = "EventFeed, limit off")]
    public Task<int> FeedUnlimited() => RunFeedAsync(_unlimited, "EventFeed, limit off", requestsPerSecond: 100_000, burst: 100_000);

    private async Task<int> RunFeedAsync(IntilerySimulator simulator, string name, int requestsPerSecond = 100, int burst = 500)
    {
        var measure = Measure.Start(simulator);
        var api = new EventsApiOptions
        {
            BaseUrl = simulator.BaseUrl, ClientId = "demo", AccountId = "demo", BrandId = "DEMO", AuthToken = simulator.Options.Token,
            RequestsPerSecond = requestsPerSecond, Burst = burst,
        };
        var received = new List<string>(_expected.Count);
        await using (var feed = new EventFeed(api, new FeedOptions { Start = FeedStart.Beginning }) { StopWhenCaughtUp = true })
        {
            await foreach (IntileryEvent e in feed.ReadAllAsync())
            {
                received.Add(e.EventId);
            }
        }

        measure.Report(name, received, _expected, received.Count - received.Distinct().Count(), (int)(simulator.RequestCount - measure.RequestsBefore), simulator);
        return received.Count;
    }

    private sealed class Measure
    {
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;
        private readonly long _rateLimited;

        private Measure(IntilerySimulator simulator)
        {
            RequestsBefore = simulator.RequestCount;
            _rateLimited = simulator.RateLimitedCount;
        }

        public long RequestsBefore { get; }

        public static Measure Start(IntilerySimulator simulator) => new(simulator);

        public void Report(string name, List<string> received, HashSet<string> expected, int duplicates, int requests, IntilerySimulator simulator)
        {
            double seconds = _wall.Elapsed.TotalSeconds;
            double cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalMicroseconds;
            int lost = expected.Count - received.Where(expected.Contains).Distinct().Count();
            string line = $"| {name} | {expected.Count:N0} | {received.Count / seconds:N0} | {received.Count / seconds / 10_000:P0} | {(double)requests / Math.Max(1, received.Count):F4} | {simulator.RateLimitedCount - _rateLimited} | {lost:N0} | {duplicates:N0} | {cpuUs / Math.Max(1, received.Count):F1} | {Process.GetCurrentProcess().PeakWorkingSet64 / 1_048_576:N0} MB |";
            Console.WriteLine(line);
            Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
            File.AppendAllText(Path.Combine("BenchmarkDotNet.Artifacts", "end-to-end.md"), line + Environment.NewLine);
        }
    }
}
