using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace EventStream.Benchmarks;

/// <summary>
/// <c>sse-fanout CLIENTS RATE</c>: one feed served to many browsers. <c>eventstream serve</c> makes RATE live events/s,
/// <c>eventstream dashboard</c> (its own process, measured) follows it and serves <c>/events</c>, and this process opens
/// CLIENTS server-sent-event connections. Phases of 20 s: no client (the feed alone), 1 client, CLIENTS clients, then
/// CLIENTS clients plus one that connects and never reads. Per phase: events/s per client, the server's CPU (less the
/// feed-alone phase) per event per client, its RSS, and the delivery delay (now − receivedTime) one client sees.
/// This is a load test of real processes over loopback, not a BenchmarkDotNet micro-benchmark: the quantity is a
/// server's cost under many connections, which only exists across processes.
/// </summary>
internal static class SseFanout
{
    private static readonly TimeSpan Phase = TimeSpan.FromSeconds(20);

    public static async Task RunAsync(int clients, double rate)
    {
        using SimulatorProcess simulator = SimulatorProcess.Start(0, requestsPerSecond: 100, burst: 500, liveRate: rate);
        ProcessStartInfo info = SimulatorProcess.CliStartInfo();
        foreach (string arg in new[] { "dashboard", "--base-url", simulator.BaseUrl.ToString(), "--client", "demo", "--account", "demo", "--brand", "DEMO", "--token", simulator.Token, "--port", "0" })
        {
            info.ArgumentList.Add(arg);
        }

        using Process server = Process.Start(info)!;
        try
        {
            server.ErrorDataReceived += static (_, _) => { };
            server.BeginErrorReadLine();
            Uri url = new(new Uri(server.StandardOutput.ReadLine()!.Trim()), "events?status=false");
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue }) { Timeout = Timeout.InfiniteTimeSpan };
            Console.WriteLine($"# {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}, {rate:N0} live events/s, server pid {server.Id}");
            Console.WriteLine("| phase | clients | events/s per client (min / median) | server CPU, % of a core | server CPU per event per client | server RSS (max) | delivery delay p50 / p95 / p99 (client 0) |");
            Console.WriteLine("|---|---|---|---|---|---|---|");

            await Task.Delay(TimeSpan.FromSeconds(5)); // the feed reaches live
            await MeasureAsync(server, http, url, 10, stalled: false, rate, baseline: null, "(warm-up: JIT, pools)");
            (double feedAloneCpu, _) = await MeasureAsync(server, http, url, 0, stalled: false, rate, baseline: null, "feed alone");
            await MeasureAsync(server, http, url, 1, stalled: false, rate, feedAloneCpu, "one client");
            await MeasureAsync(server, http, url, clients, stalled: false, rate, feedAloneCpu, $"{clients} clients");
            await MeasureAsync(server, http, url, clients, stalled: true, rate, feedAloneCpu, $"{clients} + 1 stalled");
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    private static async Task<(double CpuPerSecond, long Events)> MeasureAsync(Process server, HttpClient http, Uri url, int clients, bool stalled, double rate, double? baseline, string name)
    {
        using var stop = new CancellationTokenSource();
        var counts = new long[clients];
        var delays = new List<double>();
        var readers = Enumerable.Range(0, clients).Select(i => Task.Run(() => ReadAsync(http, url, counts, i, i == 0 ? delays : null, stop.Token))).ToList();
        HttpResponseMessage? stall = null;
        if (stalled)
        {
            stall = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead); // connects, then never reads
        }

        await Task.Delay(TimeSpan.FromSeconds(3)); // connections settle (each starts with recent events)
        long[] before = [.. counts.Select(c => Interlocked.Read(ref c))];
        lock (delays)
        {
            delays.Clear();
        }

        TimeSpan cpu0 = Cpu(server.Id);
        var clock = Stopwatch.StartNew();
        long maxRss = 0;
        while (clock.Elapsed < (stalled ? 2 * Phase : Phase))
        {
            await Task.Delay(500);
            maxRss = Math.Max(maxRss, Rss(server.Id));
        }

        double seconds = clock.Elapsed.TotalSeconds;
        double cpu = (Cpu(server.Id) - cpu0).TotalSeconds / seconds;
        double[] perClient = [.. counts.Select((c, i) => (Interlocked.Read(ref counts[i]) - before[i]) / seconds).Order()];
        await stop.CancelAsync();
        await Task.WhenAll(readers).ContinueWith(static _ => { }, TaskScheduler.Default);
        string lagged = "";
        if (stall is not null)
        {
            using var reader = new StreamReader(await stall.Content.ReadAsStreamAsync());
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            string rest = "";
            try
            {
                rest = await reader.ReadToEndAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
            }

            lagged = rest.Contains("event: lagged", StringComparison.Ordinal) ? " (stalled client cut off with `lagged`)" : " (stalled client NOT cut off)";
            stall.Dispose();
        }

        double[] d;
        lock (delays)
        {
            d = [.. delays.Order()];
        }

        string perEvent = baseline is { } b && clients > 0 && perClient.Length > 0
            ? $"{(cpu - b) / (perClient.Average() * clients) * 1e6:F1} µs"
            : "—";
        string rates = perClient.Length > 0 ? $"{perClient[0]:N0} / {perClient[perClient.Length / 2]:N0}" : $"(feed {rate:N0}/s)";
        string delay = d.Length > 0 ? $"{d[d.Length / 2] * 1000:F0} / {d[(int)(d.Length * 0.95)] * 1000:F0} / {d[(int)(d.Length * 0.99)] * 1000:F0} ms" : "—";
        Console.WriteLine($"| {name}{lagged} | {clients} | {rates} | {cpu * 100:F1}% | {perEvent} | {maxRss / 1024 / 1024:N0} MB | {delay} |");
        return (cpu, 0);
    }

    private static async Task ReadAsync(HttpClient http, Uri url, long[] counts, int index, List<double>? delays, CancellationToken cancellationToken)
    {
        try
        {
            using Stream stream = await http.GetStreamAsync(url, cancellationToken);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref counts[index]);
                }
                else if (delays is not null && line.StartsWith("data: {", StringComparison.Ordinal))
                {
                    using JsonDocument json = JsonDocument.Parse(line.AsMemory(6));
                    if (json.RootElement.TryGetProperty("receivedTime", out JsonElement received))
                    {
                        double delay = (DateTimeOffset.UtcNow - received.GetDateTimeOffset()).TotalSeconds;
                        lock (delays)
                        {
                            delays.Add(delay);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    // utime + stime of every thread, from /proc (clock ticks of 10 ms).
    private static TimeSpan Cpu(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return TimeSpan.FromMilliseconds((long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10);
    }

    private static long Rss(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
