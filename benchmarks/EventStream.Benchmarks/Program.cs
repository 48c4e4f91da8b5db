using BenchmarkDotNet.Running;

namespace EventStream.Benchmarks;

public static class Program
{
    /// <summary>
    /// BenchmarkDotNet's switcher (<c>--filter '*'</c>), or <c>catch-up N</c>: one client-only catch-up of an N-event backlog
    /// from <c>eventstream serve</c> with the limit off (three times: the first pays for JIT tiering), for profilers (<c>dotnet-trace collect -- dotnet EventStream.Benchmarks.dll catch-up 200000</c>).
    /// </summary>
    public static async Task Main(string[] args)
    {
        if (args is ["catch-up", string count])
        {
            var bench = new EndToEndBenchmarks { Backlog = int.Parse(count, System.Globalization.CultureInfo.InvariantCulture) };
            bench.Setup();
            try
            {
                // Three catch-ups from the beginning, each with a fresh feed: the first pays for the JIT's tiering
                // (background recompilation of hot methods), the third is the steady state.
                for (int round = 0; round < 3; round++)
                {
                    await bench.FeedUnlimited();
                }
            }
            finally
            {
                bench.Cleanup();
            }

            return;
        }

        if (args is ["fetch", string pages, ..] && args.Length <= 3)
        {
            // For decomposing the client's CPU: the same 100-event page fetched and parsed over and over, no feed.
            // `fetch N gzip`: the server compresses (as a gateway would); also reports the bytes on the wire.
            int pageCount = int.Parse(pages, System.Globalization.CultureInfo.InvariantCulture);
            bool gzip = args is [_, _, "gzip"];
            using SimulatorProcess server = SimulatorProcess.Start(10_000, requestsPerSecond: 0, burst: 500, gzip);
            if (gzip)
            {
                using var raw = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None });
                using HttpRequestMessage probe = server.NewRequest("demo/demo/DEMO/v1/events?sort=asc&size=100");
                probe.Headers.AcceptEncoding.ParseAdd("gzip");
                using HttpResponseMessage compressed = await raw.SendAsync(probe);
                Console.WriteLine($"on the wire: {(await compressed.Content.ReadAsByteArrayAsync()).Length:N0} B/page ({compressed.Content.Headers.ContentEncoding})");
            }

            using var client = new EventStream.Api.EventsApiClient(new EventStream.Api.EventsApiOptions
            {
                BaseUrl = server.BaseUrl, ClientId = "demo", AccountId = "demo", BrandId = "DEMO", AuthToken = server.Token,
                RequestsPerSecond = 100_000, Burst = 100_000,
            });
            var query = new EventStream.Api.EventsQuery { Sort = EventStream.Api.EventSort.Ascending, Size = 100 };
            for (int i = 0; i < 200; i++)
            {
                await client.GetPageAsync(query); // warm up
            }

            // Twice: the first round also pays for the JIT's background recompilation of hot methods (tiering).
            TimeSpan cpu = default;
            int events = 0;
            double us = 0;
            for (int round = 1; round <= 2; round++)
            {
                cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                int[] gcs = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
                events = 0;
                for (int i = 0; i < pageCount; i++)
                {
                    events += (await client.GetPageAsync(query)).Events.Count;
                }

                us = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds;
                Console.WriteLine($"fetch + parse only, round {round}: {events:N0} events, {us / events:F2} µs CPU/event; GCs gen0/1/2: {GC.CollectionCount(0) - gcs[0]}/{GC.CollectionCount(1) - gcs[1]}/{GC.CollectionCount(2) - gcs[2]}");
            }

            // The floor: the same requests with a bare HttpClient, body read into a byte[], nothing parsed.
            using var http = new HttpClient();
            cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
            long bytes = 0;
            for (int i = 0; i < pageCount; i++)
            {
                using HttpRequestMessage request = server.NewRequest("demo/demo/DEMO/v1/events?sort=asc&size=100");
                using HttpResponseMessage response = await http.SendAsync(request);
                bytes += (await response.Content.ReadAsByteArrayAsync()).Length;
            }

            us = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds;
            Console.WriteLine($"bare HttpClient, no parse: {bytes / pageCount:N0} B/page, {us / events:F2} µs CPU/event");

            // The same, read as the client reads: headers first, then the body streamed into a pooled buffer; then with the
            // client's handler settings (decompression on, no redirects, connection lifetime).
            async Task<double> StreamedAsync(HttpClient http)
            {
                TimeSpan start = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
                byte[] pooled = System.Buffers.ArrayPool<byte>.Shared.Rent(256 * 1024);
                for (int i = 0; i < pageCount; i++)
                {
                    using HttpRequestMessage request = server.NewRequest("demo/demo/DEMO/v1/events?sort=asc&size=100");
                    using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
                    await using Stream body = await response.Content.ReadAsStreamAsync();
                    int read, length = 0;
                    while ((read = await body.ReadAsync(pooled.AsMemory(length))) > 0)
                    {
                        length += read;
                    }
                }

                System.Buffers.ArrayPool<byte>.Shared.Return(pooled);
                return (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - start).TotalMicroseconds / events;
            }

            Console.WriteLine($"bare HttpClient, headers first, body streamed into a pooled buffer, no parse: {await StreamedAsync(http):F2} µs CPU/event");
            using var likeClient = new HttpClient(new SocketsHttpHandler
            {
                AllowAutoRedirect = false, AutomaticDecompression = System.Net.DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5), ConnectTimeout = TimeSpan.FromSeconds(10),
            });
            Console.WriteLine($"  the same with the client's handler settings: {await StreamedAsync(likeClient):F2} µs CPU/event");

            // And the parse alone, of the same page, on this thread.
            using HttpRequestMessage one = server.NewRequest("demo/demo/DEMO/v1/events?sort=asc&size=100");
            using HttpResponseMessage oneResponse = await http.SendAsync(one);
            byte[] page = await oneResponse.Content.ReadAsByteArrayAsync();
            cpu = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
            for (int i = 0; i < pageCount; i++)
            {
                EventStream.Parsing.EventPage.Parse(page.AsSpan());
            }

            us = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds;
            Console.WriteLine($"parse only (EventPage.Parse, untyped): {us / events:F2} µs CPU/event");
            return;
        }

        if (args is ["sse-fanout", string clients, string rate])
        {
            await SseFanout.RunAsync(int.Parse(clients, System.Globalization.CultureInfo.InvariantCulture), double.Parse(rate, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        if (args is ["feeds", string feedCount, ..] && args.Length <= 3)
        {
            Console.WriteLine($"# {Environment.ProcessorCount} cores, {DateTime.UtcNow:yyyy-MM-dd}; one process, N live feeds at 1 event/s each");
            Console.WriteLine("| feeds | CPU (of one core) | RSS (max) | managed per feed | requests/s | delivery delay p50 / p99 | every event once |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            await ManyFeeds.RunAsync(int.Parse(feedCount, System.Globalization.CultureInfo.InvariantCulture), args.Length == 3 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 75);
            return;
        }

        if (args is ["relay", string backlogEvents])
        {
            await RelayThroughput.RunAsync(int.Parse(backlogEvents, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        if (args is ["relay", string relayBacklog, "--relay-only", string relayRounds])
        {
            await RelayThroughput.RunAsync(int.Parse(relayBacklog, System.Globalization.CultureInfo.InvariantCulture), int.Parse(relayRounds, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        if (args is ["failover", string trials])
        {
            await RelayThroughput.FailoverAsync(null, null, int.Parse(trials, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        if (args is ["webhooks", string webhookBacklog])
        {
            await WebhookThroughput.RunAsync(int.Parse(webhookBacklog, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        if (args is ["webhook-receiver"])
        {
            await WebhookThroughput.ServeAsync();
            return;
        }

        if (args is ["retain", string keptPages])
        {
            Retention.Run(int.Parse(keptPages, System.Globalization.CultureInfo.InvariantCulture));
            return;
        }

        if (args is ["fairness"])
        {
            await ManyFeeds.FairnessAsync();
            return;
        }

        if (args is ["pipeline", string part])
        {
            // For profilers: one pipeline part on a loop for about ten seconds.
            var bench = new PipelineBenchmarks();
            bench.Setup();
            Func<int> run = part switch
            {
                "dedupe" => bench.DedupeOnly,
                "reorder" => bench.ReorderOnly,
                _ => bench.BoundedPipeline,
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int rounds = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                run();
                rounds++;
            }

            Console.WriteLine($"{part}: {clock.Elapsed.TotalNanoseconds / rounds / PipelineBenchmarks.Events:F1} ns/event");
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
