using System.Text.Json;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using NATS.Client.Core;

namespace EventStream.Tests.Nats;

/// <summary>
/// Chaos with real processes: three <c>eventstream relay</c> processes share 30 feeds over the simulator (a backlog and
/// live traffic); every few seconds one is killed with SIGKILL and a new one started, and once nats-server itself is
/// killed and restarted. At the end the stream holds every event the simulator made, exactly once.
/// </summary>
[Collection(Alone.Name)]
public class RelayChaosTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public async Task ThreeRelays_KilledAndReplaced_NatsRestarted_EveryEventExactlyOnceInTheStream()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Brands = 30; o.Backlog = 3_000; o.BacklogAge = TimeSpan.FromMinutes(10); o.LiveRate = 30; });
        await using NatsServer server = await NatsServer.StartAsync();
        string feedsFile = Path.Combine(Path.GetTempPath(), $"feeds-{Guid.NewGuid():N}.json");
        File.WriteAllText(feedsFile, JsonSerializer.Serialize(new
        {
            baseUrl = simulator.BaseUrl.ToString(),
            feeds = simulator.Brands.Select(b => new { client = b.ClientId, account = b.AccountId, brand = b.BrandId, token = b.Token, start = "beginning" }),
        }));
        var relays = new List<(CliProcess Process, Task<string> Log)>();
        var everyLog = new List<Task<string>>(); // the killed relays' too
        int started = 0;
        (CliProcess, Task<string>) StartRelay()
        {
            CliProcess p = CliProcess.Start(["relay", "--nats", server.Url, "--feeds", feedsFile, "--instance", $"r{++started}", "--lease", "3s", "--max-lateness", "3s", "--status-every", "2s"]);
            Task<string> log = p.Error.ReadToEndAsync();
            everyLog.Add(log);
            return (p, log);
        }

        try
        {
            for (int i = 0; i < 3; i++)
            {
                relays.Add(StartRelay());
            }

            // Chaos: every 5 s a relay dies by SIGKILL and a new one starts; half-way, nats-server is killed and restarted.
            var random = new Random(11);
            for (int round = 0; round < 6; round++)
            {
                await Task.Delay(5_000);
                int victim = random.Next(relays.Count);
                relays[victim].Process.Process.Kill(); // SIGKILL: no checkpoint save, no lease release
                output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} killed relay {victim}");
                relays[victim] = StartRelay();
                if (round == 2)
                {
                    server.Kill();
                    await Task.Delay(1_000);
                    await server.RestartAsync();
                    output.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} restarted nats-server");
                }
            }

            // Calm: the survivors catch up with everything received until a second from now, then stop cleanly.
            await using NatsConnection nats = server.Connect();
            DateTimeOffset settledTo = DateTimeOffset.UtcNow.AddSeconds(1);
            await StreamContents.WaitUntilHoldsAsync(nats, simulator, settledTo, TimeSpan.FromSeconds(60));
            foreach ((CliProcess p, _) in relays)
            {
                p.Signal("TERM");
            }

            foreach ((CliProcess p, Task<string> log) in relays)
            {
                await p.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
                string text = await log;
                Assert.True(p.Process.ExitCode == 0, $"a relay exited with {p.Process.ExitCode} on SIGTERM: {text}");
                Assert.DoesNotContain(simulator.Brands[1].Token, text, StringComparison.Ordinal); // never a token in the log
            }

            output.WriteLine(await relays[0].Log);

            // The outage was said: the relays running when nats-server went down (three; the next kill came 5 s later)
            // printed the disconnect and the reconnect with its duration.
            string[] logs = await Task.WhenAll(everyLog);
            int said = logs.Count(l => l.Contains("disconnected from NATS at", StringComparison.Ordinal) && l.Contains("reconnected to NATS at", StringComparison.Ordinal));
            Assert.True(said >= 2, $"{said} relays said the outage and the recovery");

            // The stream against the simulator's own record.
            List<string> ids = [.. (await StreamContents.ReadAsync(nats)).Select(m => m.MsgId!)];
            long count = ids.Count;
            Assert.Equal(ids.Count, ids.Distinct().Count()); // nothing twice in the stream
            var stored = ids.ToHashSet();
            List<SimulatedEvent> expected = [.. simulator.Snapshot().Where(e => e.ReceivedTime <= settledTo)];
            List<SimulatedEvent> missing = [.. expected.Where(e => !stored.Contains(e.EventId))];
            output.WriteLine($"stream {count} messages; simulator {expected.Count} settled events; missing {missing.Count}; relays started {started}");
            Assert.True(expected.Count > 3_000);
            Assert.True(missing.Count == 0, $"{missing.Count} of {expected.Count} events never reached the stream");
        }
        finally
        {
            foreach ((CliProcess p, _) in relays)
            {
                await p.DisposeAsync();
            }

            File.Delete(feedsFile);
        }
    }
}
