using System.Diagnostics;
using System.Text.Json;
using EventStream.Checkpoints;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Cli;

/// <summary>
/// <c>eventstream tail --format ndjson | head -1</c> in a real shell: once <c>head</c> has its line and closes the pipe,
/// <c>tail</c> stops by itself — checkpoint saved, exit 0 — whether events keep coming or the feed is idle. (Before, it
/// never noticed: .NET's console stream drops writes to a closed pipe without a word.)
/// </summary>
public class TailPipeTests
{
    [Fact]
    public async Task IntoHeadOne_WhileEventsKeepComing_TailExits0()
    {
        (int tailExit, int headExit, string output) = await PipeIntoHeadAsync("tail --demo --format ndjson");

        Assert.Equal(0, tailExit);
        Assert.Equal(0, headExit);
        Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.NotNull(JsonDocument.Parse(output).RootElement.GetProperty("eventId").GetString());
    }

    [Fact]
    public async Task IntoHeadOne_OnAnIdleFeed_TailExits0_WithWhatItWroteCheckpointed()
    {
        // Three events and no live traffic: after the first batch nothing more is ever written, so only watching the pipe
        // itself can tell that its reader has gone. The backlog ends ten minutes ago: settled, so a restart catches up at once.
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Backlog = 3; o.BacklogAge = TimeSpan.FromMinutes(10); o.LiveRate = 0; });
        string checkpoint = Path.Combine(Path.GetTempPath(), $"pipe-{Guid.NewGuid():N}.json");
        try
        {
            string args = $"tail --base-url {simulator.BaseUrl} --client {simulator.Options.ClientId} --account {simulator.Options.AccountId} --brand {simulator.Options.BrandId} --from-beginning --format ndjson --checkpoint {checkpoint}";
            (int tailExit, int headExit, string output) = await PipeIntoHeadAsync(args, new() { ["EVENTSTREAM_TOKEN"] = simulator.Options.Token });

            Assert.Equal(0, tailExit);
            Assert.Equal(0, headExit);
            string first = JsonDocument.Parse(output).RootElement.GetProperty("eventId").GetString()!;
            Assert.Equal(simulator.Snapshot().OrderBy(e => e.EventTime).First().EventId, first);
            // What was written before the pipe closed is checkpointed: at least head's line, perhaps more (a batch written
            // into the pipe's buffer before head exited counts as taken; one written after fails and does not). A restart
            // from that checkpoint delivers exactly the events after it.
            string[] ordered = [.. simulator.Snapshot().OrderBy(e => e.EventTime).Select(e => e.EventId)];
            FeedCheckpoint? saved = await new FileCheckpointStore(checkpoint).LoadAsync(CancellationToken.None);
            Assert.NotNull(saved);
            Assert.Contains(saved.LastEventId, ordered);
            (int restartExit, string rest, string error) = await CliProcess.RunAsync(
                ["tail", .. args.Split(' ')[1..], "--until-caught-up"], new Dictionary<string, string> { ["EVENTSTREAM_TOKEN"] = simulator.Options.Token });
            Assert.True(restartExit == 0, error);
            Assert.Equal(ordered.SkipWhile(id => id != saved.LastEventId).Skip(1), rest.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("eventId").GetString()));
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    /// <summary>Runs <c>eventstream ARGS | head -1</c> under bash; returns both exit codes and what head printed.</summary>
    private static async Task<(int TailExit, int HeadExit, string Output)> PipeIntoHeadAsync(string args, Dictionary<string, string>? environment = null)
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "EventStream.Cli.dll");
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"dotnet '{cli}' {args} | head -1; echo \"exit ${{PIPESTATUS[0]}} ${{PIPESTATUS[1]}}\" >&2");
        info.Environment.Remove("EVENTSTREAM_TOKEN");
        foreach ((string key, string value) in environment ?? [])
        {
            info.Environment[key] = value;
        }

        using Process shell = Process.Start(info)!;
        try
        {
            Task<string> output = shell.StandardOutput.ReadToEndAsync();
            Task<string> error = shell.StandardError.ReadToEndAsync();
            await shell.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60)); // before the fix: never
            string status = (await error).Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith("exit ", StringComparison.Ordinal));
            string[] codes = status.Split(' ');
            return (int.Parse(codes[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(codes[2], System.Globalization.CultureInfo.InvariantCulture), await output);
        }
        finally
        {
            if (!shell.HasExited)
            {
                shell.Kill(entireProcessTree: true);
            }
        }
    }
}
