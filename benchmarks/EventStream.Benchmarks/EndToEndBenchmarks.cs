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

namespace EventStream.Benchmarks;

/// <summary>
/// Catching up a backlog from the simulator over loopback: the feed under the documented limit, the feed with the
/// limit off, and the loop users write today (baseline). The simulator runs as <c>eventstream serve</c> in its own
/// process, so the CPU time and peak working set reported are the client's alone; BenchmarkDotNet runs each backlog
/// size in a fresh process. One run each; the figures that matter beyond time (events/s, requests per event, 429s, CPU
/// per event, lost and duplicated events, peak memory) go to the console and to <c>BenchmarkDotNet.Artifacts/end-to-end.md</c>.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 0, iterationCount: 1)]
public class EndToEndBenchmarks
{
    private SimulatorProcess _limited = null!;
    private SimulatorProcess _unlimited = null!;
    private int _backlog;

    /// <summary>Events in the backlog.</summary>
    [Params(200_000, 1_000_000)]
    public int Backlog { get; set; } = 200_000;

    /// <summary>Quick mode (CI smoke test): a small backlog.</summary>
    public static bool Quick { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _backlog = Quick ? 2_000 : Backlog;
        _limited = SimulatorProcess.Start(_backlog, requestsPerSecond: 100, burst: 500);
        _unlimited = SimulatorProcess.Start(_backlog, requestsPerSecond: 0, burst: 500);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _limited.Dispose();
        _unlimited.Dispose();
    }

    [Benchmark(Baseline = true, Description = "naive: timer + HttpClient + STJ + from paging + Rx Distinct")]
    public async Task<int> Naive()
    {
        // What users write today: poll, page with from/size until a short page, Distinct on the id. Default sort (newest first).
        var measure = new Measure();
        var received = new List<string>();
        var subject = new Subject<string>();
        using IDisposable sink = subject.Distinct().Subscribe(received.Add);
        using var http = new HttpClient();
        int duplicates = 0, requests = 0, rateLimited = 0;
        var seen = new HashSet<string>();
        for (int from = 0; ; from += 100)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_limited.BaseUrl, $"demo/demo/DEMO/v1/events?from={from}&size=100"));
            request.Headers.Add("auth-token", _limited.Token);
            request.Content = new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
            using HttpResponseMessage response = await http.SendAsync(request);
            requests++;
            if (!response.IsSuccessStatusCode)
            {
                rateLimited += (int)response.StatusCode == 429 ? 1 : 0;
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

        measure.Report("naive loop", _backlog, received, duplicates, requests, rateLimited);
        return received.Count;
    }

    [Benchmark(Description = "EventFeed, documented limit (100/s, burst 500)")]
    public Task<int> FeedLimited() => RunFeedAsync(_limited, "EventFeed, limit 100/s burst 500");

    [Benchmark(Description = "EventFeed, limit off")]
    public Task<int> FeedUnlimited() => RunFeedAsync(_unlimited, "EventFeed, limit off", requestsPerSecond: 100_000, burst: 100_000);

    private async Task<int> RunFeedAsync(SimulatorProcess simulator, string name, int requestsPerSecond = 100, int burst = 500)
    {
        var measure = new Measure();
        var api = new EventsApiOptions
        {
            BaseUrl = simulator.BaseUrl, ClientId = "demo", AccountId = "demo", BrandId = "DEMO", AuthToken = simulator.Token,
            RequestsPerSecond = requestsPerSecond, Burst = burst,
        };
        var received = new List<string>(_backlog);
        FeedCounters counters;
        await using (var feed = new EventFeed(api, new FeedOptions { Start = FeedStart.Beginning }) { StopWhenCaughtUp = true })
        {
            await foreach (IntileryEvent e in feed.ReadAllAsync())
            {
                received.Add(e.EventId);
            }

            counters = feed.Counters;
        }

        measure.Report(name, _backlog, received, received.Count - received.Distinct().Count(), (int)counters.Requests, (int)counters.RateLimited);
        return received.Count;
    }

    private sealed class Measure
    {
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;

        public void Report(string name, int backlog, List<string> received, int duplicates, int requests, int rateLimited)
        {
            double seconds = _wall.Elapsed.TotalSeconds;
            double cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalMicroseconds;
            int lost = backlog - received.Distinct().Count();
            string line = $"| {name} | {backlog:N0} | {seconds:F1} s | {received.Count / seconds:N0} | {received.Count / seconds / 10_000:P0} | {(double)requests / Math.Max(1, received.Count):F4} | {rateLimited} | {lost:N0} | {duplicates:N0} | {cpuUs / Math.Max(1, received.Count):F2} | {Process.GetCurrentProcess().PeakWorkingSet64 / 1_048_576:N0} MB |";
            Console.WriteLine(line);
            Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
            File.AppendAllText(Path.Combine("BenchmarkDotNet.Artifacts", "end-to-end.md"), line + Environment.NewLine);
        }
    }
}
