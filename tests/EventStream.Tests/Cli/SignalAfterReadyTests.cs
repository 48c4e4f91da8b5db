using System.Globalization;
using System.Text.Json;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Cli;

/// <summary>
/// A command's ready line (serve's and dashboard's URL, tail's first event, relay's "connected") means: from here on,
/// SIGINT and SIGTERM stop it cleanly, exit code 0. A script or service manager that waits for that line and stops the
/// process at once must never see 130 or 143. The signal goes out the moment the line is read, 20 times per command
/// (SIGTERM and SIGINT in turn, a few processes at a time), so that a window between the line and the handler cannot hide
/// (System.CommandLine's own handler had one: 11 of 20 <c>serve</c> processes exited 143).
/// <c>EVENTSTREAM_SIGNAL_RUNS=200 dotnet test --filter FullyQualifiedName~SignalAfterReadyTests</c> looks for rarer windows.
/// </summary>
[Collection(Alone.Name)]
public class SignalAfterReadyTests
{
    private static readonly int Runs = int.TryParse(Environment.GetEnvironmentVariable("EVENTSTREAM_SIGNAL_RUNS"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 20;
    private const int AtOnce = 4;

    [Fact]
    public Task Serve_SignalRightAfterItsUrl_Exits0() =>
        EveryRunExits0Async(() => CliProcess.Start(["serve", "--live-rate", "0", "--backlog", "0"]), ReadyOnStdout);

    [Fact]
    public Task TailDemo_SignalRightAfterItsFirstEvent_Exits0() =>
        EveryRunExits0Async(() => CliProcess.Start(["tail", "--demo", "--format", "ndjson"]), ReadyOnStdout);

    // The live table (here on a redirected stdout): a signal could end its refresh tick before its read of the next event,
    // and disposing the read still in flight threw NotSupportedException out of the process (exit 1, seen under tmux).
    [Fact]
    public Task TailTable_SignalWhileItRenders_Exits0() =>
        EveryRunExits0Async(() => CliProcess.Start(["tail", "--demo", "--format", "table"]), ReadyOnStdout);

    [Fact]
    public Task DashboardDemo_SignalRightAfterItsUrl_Exits0() =>
        EveryRunExits0Async(() => CliProcess.Start(["dashboard", "--demo"]), ReadyOnStdout);

    [Fact]
    public async Task Forward_SignalRightAfterItsReadyLine_Exits0()
    {
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        string deadLetters = Path.Combine(Path.GetTempPath(), $"dead-{Guid.NewGuid():N}.ndjson");
        await EveryRunExits0Async(
            () => CliProcess.Start(["forward", "--demo", "--to", receiver.Url("hook").ToString(), "--dead-letters", deadLetters]),
            async cli =>
            {
                while (await cli.Error.ReadLineAsync() is { } line)
                {
                    if (line.Contains("Ctrl+C stops.", StringComparison.Ordinal))
                    {
                        return line;
                    }
                }

                return null;
            });
        File.Delete(deadLetters);
    }

    [Fact]
    public async Task Relay_SignalRightAfterItConnects_Exits0()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Backlog = 50; o.LiveRate = 5; });
        await using NatsServer server = await NatsServer.StartAsync();
        string feedsFile = Path.Combine(Path.GetTempPath(), $"feeds-{Guid.NewGuid():N}.json");
        File.WriteAllText(feedsFile, JsonSerializer.Serialize(new
        {
            baseUrl = simulator.BaseUrl.ToString(),
            feeds = new[] { new { client = simulator.Options.ClientId, account = simulator.Options.AccountId, brand = simulator.Options.BrandId, token = simulator.Options.Token, start = "beginning" } },
        }));
        try
        {
            int instance = 0;
            await EveryRunExits0Async(
                () => CliProcess.Start(["relay", "--nats", server.Url, "--feeds", feedsFile, "--instance", $"signal-{Interlocked.Increment(ref instance)}", "--lease", "2s"]),
                async cli =>
                {
                    while (await cli.Error.ReadLineAsync() is { } line)
                    {
                        if (line.Contains("connected to NATS", StringComparison.Ordinal))
                        {
                            return line;
                        }
                    }

                    return null;
                });
        }
        finally
        {
            File.Delete(feedsFile);
        }
    }

    private static async Task<string?> ReadyOnStdout(CliProcess cli) => await cli.Output.ReadLineAsync();

    private static async Task EveryRunExits0Async(Func<CliProcess> start, Func<CliProcess, Task<string?>> readReady)
    {
        var failures = new List<string>();
        using var gate = new SemaphoreSlim(AtOnce);
        await Task.WhenAll(Enumerable.Range(0, Runs).Select(async run =>
        {
            await gate.WaitAsync();
            try
            {
                string signal = run % 2 == 0 ? "TERM" : "INT";
                await using CliProcess cli = start();
                string? ready = await readReady(cli).WaitAsync(TimeSpan.FromSeconds(60));
                if (ready is null)
                {
                    lock (failures)
                    {
                        failures.Add($"run {run}: ended before its ready line (exit {(cli.Process.HasExited ? cli.Process.ExitCode : -1)})");
                    }

                    return;
                }

                cli.Signal(signal);
                // Drain both pipes so that a process writing on its way out never blocks on a full one.
                Task<string> output = cli.Output.ReadToEndAsync();
                Task<string> error = cli.Error.ReadToEndAsync();
                await cli.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
                await output;
                string said = await error;
                if (cli.Process.ExitCode != 0)
                {
                    lock (failures)
                    {
                        failures.Add($"run {run}: SIG{signal} right after the ready line, exit {cli.Process.ExitCode}: {said[..Math.Min(said.Length, 300)]}");
                    }
                }
            }
            finally
            {
                gate.Release();
            }
        }));

        Assert.True(failures.Count == 0, $"{failures.Count} of {Runs} runs did not stop cleanly:\n{string.Join('\n', failures)}");
    }
}
