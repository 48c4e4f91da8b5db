using System.Diagnostics;
using System.Globalization;
using EventStream.Api;
using EventStream.Feed;

namespace EventStream.Benchmarks;

/// <summary>
/// <c>feeds N [SECONDS]</c>: N live feeds at 1 event/s each in this process (one <see cref="FeedGroup"/>), against
/// <c>eventstream serve --brands N --live-rate N</c> in its own process (a token per brand). Reports this process's CPU
/// (share of one core) and RSS over a steady window, the managed memory per idle feed, requests per second, the
/// delivery delay (now − receivedTime) p50/p99, and checks every event once: when the live run ends (each feed has an
/// <c>Until</c>), a second group reads the same span back from the beginning and the two sets must be equal.
/// </summary>
internal static class ManyFeeds
{
    public static async Task RunAsync(int feeds, int seconds)
    {
        using SimulatorProcess simulator = SimulatorProcess.Start(0, requestsPerSecond: 100, burst: 500, liveRate: feeds, brands: feeds);
        long managedBefore = GC.GetTotalMemory(forceFullCollection: true);
        DateTimeOffset start = DateTimeOffset.UtcNow;
        DateTimeOffset until = start + TimeSpan.FromSeconds(seconds + 20);
        var received = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        long duplicates = 0, events = 0;
        var delays = new List<double>();
        long requests;
        TimeSpan cpu;
        double window;
        long maxRss = 0, managedLive;
        await using (var group = new FeedGroup())
        {
            for (int i = 0; i < feeds; i++)
            {
                string brand = i == 0 ? "DEMO" : $"DEMO{i + 1}";
                group.Add(brand, Api(simulator, brand, i), new FeedOptions { Start = FeedStart.Now, Until = until }); // MaxLateness 30 s, as by default
                received[brand] = [];
            }

            var done = new TaskCompletionSource();
            using IDisposable subscription = group.Subscribe(System.Reactive.Observer.Create<FeedEvent>(
                e =>
                {
                    events++;
                    if (!received[e.Feed].Add(e.Event.EventId))
                    {
                        duplicates++;
                    }

                    if (events % 10 == 0)
                    {
                        if (e.Event.ReceivedTime is { } r) { delays.Add((DateTimeOffset.UtcNow - r).TotalSeconds); }
                    }
                },
                ex => done.TrySetException(ex),
                () => done.TrySetResult()));

            await Task.Delay(TimeSpan.FromSeconds(15)); // every feed live, JIT warm
            managedLive = GC.GetTotalMemory(forceFullCollection: true);
            delays.Clear();
            long requests0 = Requests(group);
            TimeSpan cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(seconds - 15))
            {
                await Task.Delay(500);
                maxRss = Math.Max(maxRss, Environment.WorkingSet);
            }

            window = clock.Elapsed.TotalSeconds;
            cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
            requests = Requests(group) - requests0;
            await done.Task.WaitAsync(TimeSpan.FromMinutes(5)); // Until + MaxLateness: each feed settles and ends
        }

        // Read the same span back, settled, as the reference: every event once.
        long missing = 0, reference = 0;
        await using (var check = new FeedGroup())
        {
            foreach (string brand in received.Keys)
            {
                int i = brand == "DEMO" ? 0 : int.Parse(brand.AsSpan(4), CultureInfo.InvariantCulture) - 1;
                check.Add(brand, Api(simulator, brand, i), new FeedOptions { Start = FeedStart.At(start.AddSeconds(5)), Until = until, MaxLateness = TimeSpan.FromSeconds(5) });
            }

            await foreach (FeedEvent e in check.ReadAllAsync())
            {
                reference++;
                missing += received[e.Feed].Contains(e.Event.EventId) ? 0 : 1;
            }
        }

        double[] d = [.. delays.Order()];
        Console.WriteLine($"| {feeds:N0} | {cpu.TotalSeconds / window * 100:F1}% | {maxRss / 1024.0 / 1024:N0} MB | {(managedLive - managedBefore) / 1024.0 / feeds:N1} KB | "
            + $"{requests / window:N0} ({requests / window / feeds:F2} per feed) | {d[d.Length / 2] * 1000:F0} / {d[(int)(d.Length * 0.99)] * 1000:F0} ms | "
            + $"{events:N0} events, {duplicates} repeated; read back {reference:N0}, {missing} missing |");
    }

    /// <summary>
    /// <c>fairness</c>: two brands on one shared token (100 requests/s); one feed catches up brand 1's backlog of about
    /// 200,000 events from the beginning at full speed, the other follows brand 2 live (1 event/s). Reports the live
    /// feed's delivery delay (now − receivedTime) p50/p99/max while the catch-up runs, and the catch-up's rate.
    /// </summary>
    public static async Task FairnessAsync()
    {
        using SimulatorProcess simulator = SimulatorProcess.Start(400_000, requestsPerSecond: 100, burst: 500, liveRate: 2, brands: 2, sharedToken: true);
        await using var group = new FeedGroup();
        EventFeed bulk = group.Add("catching-up", Api(simulator, "DEMO", 0, shared: true), new FeedOptions { Start = FeedStart.Beginning });
        EventFeed live = group.Add("live", Api(simulator, "DEMO2", 1, shared: true), new FeedOptions { Start = FeedStart.Now });
        var delays = new List<double>();
        long bulkEvents = 0;
        using IDisposable a = bulk.Subscribe(System.Reactive.Observer.Create<EventStream.Parsing.IntileryEvent>(_ => Interlocked.Increment(ref bulkEvents)));
        using IDisposable b = live.Subscribe(System.Reactive.Observer.Create<EventStream.Parsing.IntileryEvent>(e =>
        {
            if (e.ReceivedTime is { } r)
            {
                lock (delays)
                {
                    delays.Add((DateTimeOffset.UtcNow - r).TotalSeconds);
                }
            }
        }));
        var clock = Stopwatch.StartNew();
        while (bulk.CurrentStatus.State != FeedState.Live && clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            await Task.Delay(250);
        }

        double[] d;
        lock (delays)
        {
            d = [.. delays.Order()];
        }

        Console.WriteLine($"catch-up: {Interlocked.Read(ref bulkEvents):N0} events in {clock.Elapsed.TotalSeconds:F1} s ({Interlocked.Read(ref bulkEvents) / clock.Elapsed.TotalSeconds:N0}/s, {bulk.Counters.Requests:N0} requests); "
            + $"live feed meanwhile: {d.Length} events, delivery delay p50 {d[d.Length / 2] * 1000:F0} ms, p99 {d[(int)(d.Length * 0.99)] * 1000:F0} ms, max {d[^1] * 1000:F0} ms; {live.Counters.Requests} requests; 429s {bulk.Counters.RateLimited + live.Counters.RateLimited}");
    }

    private static EventsApiOptions Api(SimulatorProcess simulator, string brand, int index, bool shared = false) => new()
    {
        BaseUrl = simulator.BaseUrl, ClientId = "demo", AccountId = "demo", BrandId = brand,
        AuthToken = index == 0 || shared ? simulator.Token : $"{simulator.Token}-{index + 1}",
    };


    private static long Requests(FeedGroup group) => group.Names.Sum(n => group[n].Counters.Requests);
}
