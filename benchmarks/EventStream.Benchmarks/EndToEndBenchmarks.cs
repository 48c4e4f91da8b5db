using System.Diagnostics;
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
        int received = 0;
        var subject = new Subject<string>();
        using IDisposable sink = subject.Distinct().Subscribe(_ => received++);
        using var http = new HttpClient();
        int requests = 0, rateLimited = 0;
        for (int from = 0; ; from += 100)
        {
            using HttpRequestMessage request = _limited.NewRequest($"demo/demo/DEMO/v1/events?from={from}&size=100");
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
                subject.OnNext(e.EventId!);
            }

            if (page.Data.Count < 100)
            {
                break;
            }
        }

        measure.Report("naive loop", _backlog, received, duplicates: 0, requests, rateLimited); // Distinct drops repeats
        return received;
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
        var check = new DeliveryCheck();
        FeedCounters counters;
        await using (var feed = new EventFeed(api, new FeedOptions { Start = FeedStart.Beginning }) { StopWhenCaughtUp = true })
        {
            await foreach (IntileryEvent e in feed.ReadAllAsync())
            {
                check.Add(e.EventId, e.EventTime);
            }

            counters = feed.Counters;
        }

        measure.Report(name, _backlog, check.Count, check.Duplicates + check.OutOfOrder, (int)counters.Requests, (int)counters.RateLimited);
        return check.Count;
    }

    /// <summary>
    /// Checks delivery in constant memory (so that the peak working set is the feed's, not the check's): the feed delivers
    /// in ascending event time, so a repeat shows as an id seen twice within one millisecond or as a step back in time.
    /// </summary>
    private sealed class DeliveryCheck
    {
        private readonly HashSet<string> _sameTime = new(StringComparer.Ordinal);
        private DateTimeOffset _last = DateTimeOffset.MinValue;

        public int Count { get; private set; }

        public int Duplicates { get; private set; }

        public int OutOfOrder { get; private set; }

        public void Add(string eventId, DateTimeOffset eventTime)
        {
            Count++;
            if (eventTime < _last)
            {
                OutOfOrder++;
                return;
            }

            if (eventTime > _last)
            {
                _last = eventTime;
                _sameTime.Clear();
            }

            Duplicates += _sameTime.Add(eventId) ? 0 : 1;
        }
    }

    private sealed class Measure
    {
        private readonly Stopwatch _wall = Stopwatch.StartNew();
        private readonly TimeSpan _cpu = Process.GetCurrentProcess().TotalProcessorTime;

        public void Report(string name, int backlog, int received, int duplicates, int requests, int rateLimited)
        {
            double seconds = _wall.Elapsed.TotalSeconds;
            double cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - _cpu).TotalMicroseconds;
            int lost = backlog - (received - duplicates);
            string line = $"| {name} | {backlog:N0} | {seconds:F1} s | {received / seconds:N0} | {received / seconds / 10_000:P0} | {(double)requests / Math.Max(1, received):F4} | {rateLimited} | {lost:N0} | {duplicates:N0} | {cpuUs / Math.Max(1, received):F2} | {Process.GetCurrentProcess().PeakWorkingSet64 / 1_048_576:N0} MB |";
            Console.WriteLine(line);
            Directory.CreateDirectory("BenchmarkDotNet.Artifacts");
            File.AppendAllText(Path.Combine("BenchmarkDotNet.Artifacts", "end-to-end.md"), line + Environment.NewLine);
        }
    }
}
