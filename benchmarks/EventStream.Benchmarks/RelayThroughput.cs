using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using EventStream.Feed;
using EventStream.Nats;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace EventStream.Benchmarks;

/// <summary>
/// <c>relay N</c>: the relay's cost. A nats-server (JetStream, file store) and <c>eventstream serve</c> with an N-event
/// backlog (rate limit off) in their own processes; in this one: (1) the feed alone catching up the backlog (the
/// baseline), (2) a <see cref="NatsRelay"/> publishing it into the stream — events/s and this process's CPU per event for
/// both; (3) publish-to-ack latency of single publishes and of 500-event batches; (4) failover: two relays share 4 live
/// feeds (lease 10 s), one loses its connection, time until the other has all four.
/// </summary>
internal static class RelayThroughput
{
    /// <param name="backlog">Events in the simulator's backlog.</param>
    /// <param name="relayOnly">When positive, only stage (2), this many rounds, and nothing after (for a profiler attached to it).</param>
    public static async Task RunAsync(int backlog, int relayOnly = 0)
    {
        using SimulatorProcess simulator = SimulatorProcess.Start(backlog, requestsPerSecond: 0, burst: 500, liveRate: 4, brands: 4);
        using NatsServerProcess server = await NatsServerProcess.StartAsync();
        Console.WriteLine($"# {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}, backlog {backlog:N0} events over 4 brands, nats-server {server.Url}");

        // Each of (1), (1b) and (2) runs twice, in turn, and the second round is the one that counts: the first pays for
        // JIT tiering, so comparing first runs would charge it to whichever came first.
        DateTimeOffset until = DateTimeOffset.UtcNow.AddMinutes(-1);
        await using NatsConnection nats = new(new NatsOpts { Url = server.Url });
        var js = new NatsJSContext(nats);
        var payloads = new List<(string Subject, string Id, ReadOnlyMemory<byte> Json)>();
        await using (var group = new FeedGroup())
        {
            for (int i = 0; i < 4; i++)
            {
                group.Add(Brand(i), Api(simulator, i), new FeedOptions { Start = FeedStart.Beginning, Until = until });
            }

            await foreach (FeedEvent e in group.ReadAllAsync())
            {
                payloads.Add(($"{NatsNames.Escape(e.Feed)}.{NatsNames.Escape(e.Event.EventAction)}", e.Event.EventId, e.Event.Json));
            }
        }

        if (relayOnly > 0)
        {
            for (int round = 1; round <= relayOnly; round++)
            {
                (double seconds, double cpu, long published) = await ProcessCost.MeasureAsync(() => RelayAsync(simulator, nats, $"only{round}", payloads.Count));
                Console.WriteLine($"relay round {round}: {published:N0} events in {seconds:F1} s = {published / seconds:N0}/s, {cpu / published * 1e6:F2} µs CPU/event");
                var kv = new NATS.Client.KeyValueStore.NatsKVContext(js);
                var bucket = await kv.GetStoreAsync($"benchonly{round}-checkpoints");
                await foreach (string key in bucket.GetKeysAsync())
                {
                    var entry = await bucket.GetEntryAsync<byte[]>(key, serializer: NatsRawSerializer<byte[]>.Default);
                    Console.WriteLine($"  checkpoint {key}: {entry.Value?.Length:N0} bytes, revision {entry.Revision}, {SeenIds(key, entry.Value):N0} seen ids");
                }
            }

            // One more round, not timed (the watch costs this process CPU): the largest checkpoint the relay saved while
            // catching up, watched in its bucket.
            using (var watching = new CancellationTokenSource())
            {
                Task<(int Bytes, int Ids)> largest = LargestCheckpointAsync(js, "benchwatched-checkpoints", watching.Token);
                await RelayAsync(simulator, nats, "watched", payloads.Count);
                await watching.CancelAsync();
                (int bytes, int ids) = await largest;
                Console.WriteLine($"largest checkpoint saved while catching up (a watched round, not timed): {bytes:N0} bytes, {ids:N0} seen ids");
            }

            return;
        }

        for (int round = 1; round <= 2; round++)
        {
            // (1) Baseline: the four feeds only, read as the relay reads them (each on its own, in batches of 500), so that
            // the relay's CPU beyond this is what publishing costs.
            (double feedSeconds, double feedCpu, long feedEvents) = await ProcessCost.MeasureAsync(async () =>
            {
                long[] counts = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => Task.Run(async () =>
                {
                    await using var feed = new EventFeed(Api(simulator, i), new FeedOptions { Start = FeedStart.Beginning, Until = until });
                    long n = 0;
                    await foreach (IReadOnlyList<EventStream.Parsing.IntileryEvent> batch in feed.ReadBatchesAsync(500))
                    {
                        n += batch.Count;
                    }

                    return n;
                })));
                return counts.Sum();
            });

            // (1b) The floor: a bare NATS.Net JetStream publish loop of the same payloads (read above, not measured), with
            // the relay's headers, in batches of the relay's size pipelined as the relay does (all sent, then all
            // acknowledgements awaited), into a stream of its own.
            string bareStream = $"BARE{round}";
            await js.CreateOrUpdateStreamAsync(new StreamConfig(bareStream, [$"bare{round}.>"]) { DuplicateWindow = TimeSpan.FromMinutes(5), Storage = StreamConfigStorage.File });
            (double bareSeconds, double bareCpu, long bare) = await ProcessCost.MeasureAsync(async () =>
            {
                var raw = NatsRawSerializer<ReadOnlyMemory<byte>>.Default;
                var acks = new Task<PubAckResponse>[500];
                for (int start = 0; start < payloads.Count; start += acks.Length)
                {
                    int n = Math.Min(acks.Length, payloads.Count - start);
                    for (int i = 0; i < n; i++)
                    {
                        (string subject, string id, ReadOnlyMemory<byte> json) = payloads[start + i];
                        acks[i] = js.PublishAsync($"bare{round}.{subject}", json, raw, headers: new NatsHeaders { ["Nats-Msg-Id"] = id, [NatsRelay.RelayHeader] = "bare" }).AsTask();
                    }

                    for (int i = 0; i < n; i++)
                    {
                        (await acks[i]).EnsureSuccess();
                    }
                }

                return payloads.Count;
            });

            // (1c) The relay's publisher alone over the same payloads and batches: what publishing costs without the feed.
            await js.CreateOrUpdateStreamAsync(new StreamConfig($"ACKED{round}", [$"acked{round}.>"]) { DuplicateWindow = TimeSpan.FromMinutes(5), Storage = StreamConfigStorage.File });
            (double ackedSeconds, double ackedCpu, long acked) = await ProcessCost.MeasureAsync(async () =>
            {
                await using AckedPublisher publisher = await AckedPublisher.StartAsync(nats, CancellationToken.None);
                for (int start = 0; start < payloads.Count; start += 500)
                {
                    List<(string Subject, string Id, ReadOnlyMemory<byte> Json)> batch = payloads.GetRange(start, Math.Min(500, payloads.Count - start));
                    await publisher.PublishAsync(batch, p => ($"acked{round}.{p.Subject}", p.Json, new NatsHeaders { ["Nats-Msg-Id"] = p.Id, [NatsRelay.RelayHeader] = "bench" }), TimeSpan.FromSeconds(10), CancellationToken.None);
                }

                return payloads.Count;
            });

            // (1d) What NATS.Net spends sending alone: core publishes of the same payloads and headers, no reply asked and no
            // stream taking them, then one round trip so that all were written. The publisher's CPU beyond this is the
            // reading of the acknowledgements.
            (double coreSeconds, double coreCpu, long core) = await ProcessCost.MeasureAsync(async () =>
            {
                var raw = NatsRawSerializer<ReadOnlyMemory<byte>>.Default;
                foreach ((string subject, string id, ReadOnlyMemory<byte> json) in payloads)
                {
                    await nats.PublishAsync($"core{round}.{subject}", json, new NatsHeaders { ["Nats-Msg-Id"] = id, [NatsRelay.RelayHeader] = "core" }, serializer: raw);
                }

                await nats.PingAsync();
                return payloads.Count;
            });

            // (2) The relay: the same backlog into JetStream (a stream and buckets of its own each round), acknowledged;
            // its feeds with the baseline's API limits.
            (double relaySeconds, double relayCpu, long published) = await ProcessCost.MeasureAsync(() => RelayAsync(simulator, nats, round.ToString(CultureInfo.InvariantCulture), feedEvents));

            string counted = round == 2 ? "" : " (warm-up round)";
            Console.WriteLine($"round {round}{counted}:");
            Console.WriteLine($"  feeds alone (four, in batches of 500, as the relay reads them): {feedEvents:N0} events in {feedSeconds:F1} s = {feedEvents / feedSeconds:N0}/s, {feedCpu / feedEvents * 1e6:F2} µs CPU/event");
            Console.WriteLine($"  bare NATS.Net JetStream loop (the same {bare:N0} payloads, batches of 500): {bare / bareSeconds:N0}/s, {bareCpu / bare * 1e6:F2} µs CPU/event");
            Console.WriteLine($"  the relay's publisher alone (AckedPublisher, the same payloads and batches): {acked / ackedSeconds:N0}/s, {ackedCpu / acked * 1e6:F2} µs CPU/event");
            Console.WriteLine($"  core publishes alone (no acknowledgement asked, the same payloads and headers): {core / coreSeconds:N0}/s, {coreCpu / core * 1e6:F2} µs CPU/event");
            Console.WriteLine($"  relay: {published:N0} events published and acknowledged in {relaySeconds:F1} s = {published / relaySeconds:N0}/s, "
                + $"{relayCpu / published * 1e6:F2} µs CPU/event ({(relayCpu / published - feedCpu / feedEvents) * 1e6:F2} µs for publishing); "
                + $"{published / relayCpu:N0} events per CPU-second");
            Console.WriteLine($"  the bare loop's events/s over the relay's: {bare / bareSeconds / (published / relaySeconds):F2}× (target ≤ 1.5×)");
        }

        payloads.Clear();

        // (3) Publish-to-ack latency.
        await js.CreateOrUpdateStreamAsync(new StreamConfig("LATENCY", ["latency.>"]) { DuplicateWindow = TimeSpan.FromMinutes(5), Storage = StreamConfigStorage.File });
        byte[] payload = new byte[1_000];
        var single = new List<double>();
        for (int i = 0; i < 2_000; i++)
        {
            long t = Stopwatch.GetTimestamp();
            PubAckResponse ack = await js.PublishAsync("latency.one", payload, headers: new NatsHeaders { ["Nats-Msg-Id"] = $"s{i}" });
            ack.EnsureSuccess();
            single.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        var batches = new List<double>();
        for (int b = 0; b < 40; b++)
        {
            long t = Stopwatch.GetTimestamp();
            Task<PubAckResponse>[] acks = [.. Enumerable.Range(0, 500).Select(i => js.PublishAsync("latency.batch", payload, headers: new NatsHeaders { ["Nats-Msg-Id"] = $"b{b}-{i}" }).AsTask())];
            foreach (PubAckResponse ack in await Task.WhenAll(acks))
            {
                ack.EnsureSuccess();
            }

            batches.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        single.Sort();
        batches.Sort();
        Console.WriteLine($"publish→ack, one at a time (1 KB): p50 {single[single.Count / 2]:F2} ms, p99 {single[(int)(single.Count * 0.99)]:F2} ms; "
            + $"a batch of 500 in flight: p50 {batches[batches.Count / 2]:F1} ms, max {batches[^1]:F1} ms ({500 / batches[batches.Count / 2] * 1000:N0} events/s)");

        // (4) Failover with the default lease (10 s).
        await FailoverAsync(simulator, server, 1);
    }

    /// <summary>
    /// <c>failover N</c> (and part 4 of <c>relay</c>): two relays share 4 live feeds with the default lease (10 s); one
    /// loses its connection (nothing released); the time until the other owns all four, from the death and from the
    /// moment the dead relay's last lease lapsed (its last write, by the server's clock, plus the lease). N trials.
    /// </summary>
    public static async Task FailoverAsync(SimulatorProcess? simulator, NatsServerProcess? server, int trials)
    {
        using SimulatorProcess? ownSimulator = simulator is null ? SimulatorProcess.Start(0, requestsPerSecond: 0, burst: 500, liveRate: 4, brands: 4) : null;
        using NatsServerProcess? ownServer = server is null ? await NatsServerProcess.StartAsync() : null;
        simulator ??= ownSimulator!;
        server ??= ownServer!;
        for (int trial = 1; trial <= trials; trial++)
        {
            string prefix = $"failover{trial}";
            NatsConnection first = new(new NatsOpts { Url = server.Url });
            await using NatsConnection second = new(new NatsOpts { Url = server.Url });
            using var stopAll = new CancellationTokenSource();
            var a = new NatsRelay(first, Feeds(simulator, FeedStart.Now), new NatsRelayOptions { BaseUrl = simulator.BaseUrl, InstanceId = "a", BucketPrefix = prefix });
            var b2 = new NatsRelay(second, Feeds(simulator, FeedStart.Now), new NatsRelayOptions { BaseUrl = simulator.BaseUrl, InstanceId = "b", BucketPrefix = prefix });
            Task ra = a.RunAsync(stopAll.Token);
            await Task.Delay(Random.Shared.Next(0, 2500)); // relays started apart: their renewal rounds out of step
            Task rb = b2.RunAsync(stopAll.Token);
            while (a.OwnedFeeds.Count != 2 || b2.OwnedFeeds.Count != 2)
            {
                await Task.Delay(100);
            }

            await Task.Delay(Random.Shared.Next(0, 2500)); // dying anywhere in a renewal interval
            string[] dead = [.. a.OwnedFeeds];
            var clock = Stopwatch.StartNew();
            await first.DisposeAsync(); // a dies: nothing released
            DateTimeOffset diedAt = DateTimeOffset.UtcNow;
            var leases = await new NATS.Client.KeyValueStore.NatsKVContext(new NatsJSContext(second)).GetStoreAsync($"{prefix}-leases");
            DateTimeOffset lastWrite = DateTimeOffset.MinValue;
            foreach (string key in dead)
            {
                var entry = await leases.GetEntryAsync<byte[]>(key);
                lastWrite = entry.Created > lastWrite ? entry.Created : lastWrite;
            }

            while (b2.OwnedFeeds.Count != 4)
            {
                await Task.Delay(20);
            }

            double afterDeath = clock.Elapsed.TotalSeconds;
            double afterLapse = afterDeath - (lastWrite + TimeSpan.FromSeconds(10) - diedAt).TotalSeconds;
            Console.WriteLine($"failover (lease 10 s, renewed every 2.5 s): the survivor owned all 4 feeds {afterDeath:F2} s after the other relay's connection died, {afterLapse:F2} s after its last lease lapsed");
            await stopAll.CancelAsync();
            await Task.WhenAll(ra, rb).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    // A relay publishing the backlog (a stream and buckets of its own), until `events` are acknowledged; its feeds with the
    // baseline's API limits.
    private static async Task<long> RelayAsync(SimulatorProcess simulator, NatsConnection nats, string name, long events)
    {
        using var stop = new CancellationTokenSource();
        var relay = new NatsRelay(nats, Feeds(simulator, FeedStart.Beginning), new NatsRelayOptions
        {
            BaseUrl = simulator.BaseUrl,
            InstanceId = "bench",
            StreamName = $"RELAY{name}",
            SubjectPrefix = $"relay{name}",
            BucketPrefix = $"bench{name}",
            ConfigureApi = api => (api.RequestsPerSecond, api.Burst) = (100_000, 100_000),
        });
        Task running = relay.RunAsync(stop.Token);
        while (relay.Published < events)
        {
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        await running;
        return relay.Published;
    }

    private static async Task<(int Bytes, int Ids)> LargestCheckpointAsync(NatsJSContext js, string bucketName, CancellationToken cancellationToken)
    {
        var kv = new NATS.Client.KeyValueStore.NatsKVContext(js);
        (int Bytes, int Ids) largest = (0, 0);
        try
        {
            NATS.Client.KeyValueStore.INatsKVStore? bucket = null;
            while (bucket is null)
            {
                try
                {
                    bucket = await kv.GetStoreAsync(bucketName, cancellationToken);
                }
                catch (NatsJSApiException)
                {
                    await Task.Delay(10, cancellationToken); // the relay has not made it yet
                }
            }

            await foreach (var entry in bucket.WatchAsync<byte[]>(serializer: NatsRawSerializer<byte[]>.Default, cancellationToken: cancellationToken))
            {
                if (entry.Value is { } v && v.Length > largest.Bytes && SeenIds(entry.Key, v) is var ids and >= 0)
                {
                    largest = (v.Length, ids);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the round ended
        }

        return largest;
    }

    // The seen ids of a checkpoint entry; -1 for the feed's recorded start ({key}.start) or an empty entry.
    private static int SeenIds(string key, byte[]? value)
        => value is { Length: > 0 } && !key.EndsWith(".start", StringComparison.Ordinal) ? EventStream.Checkpoints.FeedCheckpoint.FromUtf8Json(value).Seen.Count : -1;

    private static string Brand(int i) => i == 0 ? "DEMO" : $"DEMO{i + 1}";

    private static EventStream.Api.EventsApiOptions Api(SimulatorProcess simulator, int i) => new()
    {
        BaseUrl = simulator.BaseUrl, ClientId = "demo", AccountId = "demo", BrandId = Brand(i), AuthToken = i == 0 ? simulator.Token : $"{simulator.Token}-{i + 1}",
        RequestsPerSecond = 100_000, Burst = 100_000,
    };

    private static RelayFeed[] Feeds(SimulatorProcess simulator, FeedStart start)
        => [.. Enumerable.Range(0, 4).Select(i => new RelayFeed
        {
            ClientId = "demo", AccountId = "demo", BrandId = Brand(i), AuthToken = i == 0 ? simulator.Token : $"{simulator.Token}-{i + 1}", Start = start,
        })];

    /// <summary>nats-server -js on a free loopback port with a temporary store.</summary>
    internal sealed class NatsServerProcess : IDisposable
    {
        private readonly Process _process;
        private readonly string _store;

        private NatsServerProcess(Process process, string store, int port) => (_process, _store, Url) = (process, store, $"nats://127.0.0.1:{port}");

        public string Url { get; }

        public static async Task<NatsServerProcess> StartAsync()
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }

            string store = Path.Combine(Path.GetTempPath(), $"nats-bench-{Guid.NewGuid():N}");
            Process process = Process.Start(new ProcessStartInfo("nats-server", ["-js", "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-sd", store]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            for (int i = 0; i < 100; i++)
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port);
                    break;
                }
                catch (SocketException)
                {
                    await Task.Delay(50);
                }
            }

            return new NatsServerProcess(process, store, port);
        }

        public void Dispose()
        {
            _process.Kill();
            _process.WaitForExit();
            _process.Dispose();
            Directory.Delete(_store, recursive: true);
        }
    }
}
