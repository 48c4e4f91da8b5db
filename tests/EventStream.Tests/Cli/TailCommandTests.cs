using System.Text;
using System.Text.Json;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Cli;

/// <summary><c>eventstream tail</c> as a real process against the simulator over loopback.</summary>
public class TailCommandTests
{
    private static string[] Args(IntilerySimulator simulator, params string[] more)
        => ["tail", "--base-url", simulator.BaseUrl.ToString(), "--client", simulator.Options.ClientId, "--account", simulator.Options.AccountId, "--brand", simulator.Options.BrandId, .. more];

    private static Dictionary<string, string> TokenEnv(IntilerySimulator simulator) => new() { ["EVENTSTREAM_TOKEN"] = simulator.Options.Token };

    private static async Task<(IntilerySimulator Simulator, List<SimulatedEvent> Events)> BacklogAsync(int count, Action<SimulatorOptions>? configure = null)
    {
        IntilerySimulator simulator = await Loopback.StartAsync(configure);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return (simulator, [.. simulator.AddBacklog(count, now.AddHours(-3), now.AddHours(-2)).OrderBy(e => e.EventTime)]);
    }

    private static string[] Lines(string output) => output.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public async Task Ndjson_FromBeginningUntilCaughtUp_PrintsEveryEventExactlyAsReceived_ThenExits0()
    {
        (IntilerySimulator simulator, List<SimulatedEvent> events) = await BacklogAsync(1_500, o => o.BurstShare = 0.1);
        await using IntilerySimulator owned = simulator;

        (int exitCode, string output, string error) = await CliProcess.RunAsync(
            Args(simulator, "--from-beginning", "--until-caught-up", "--format", "ndjson"), TokenEnv(simulator));

        Assert.True(exitCode == 0, error);
        string[] lines = Lines(output);
        Assert.Equal(events.Count, lines.Length);
        var expected = events.ToDictionary(e => e.EventId, e => Encoding.UTF8.GetString(e.Json));
        foreach (string line in lines)
        {
            string id = JsonDocument.Parse(line).RootElement.GetProperty("eventId").GetString()!;
            Assert.Equal(expected[id], line); // byte for byte as the API sent it
            expected.Remove(id);               // and only once
        }

        Assert.Empty(expected);
        Assert.Equal("", error);
    }

    [Fact]
    public async Task Include_IsSentToTheServer_AndLastNStartsWithTheNewest()
    {
        (IntilerySimulator simulator, List<SimulatedEvent> events) = await BacklogAsync(600);
        await using IntilerySimulator owned = simulator;

        (int exitCode, string output, string error) = await CliProcess.RunAsync(
            Args(simulator, "--token", simulator.Options.Token, "--include", "page,identify", "--last", "7", "--until-caught-up", "--format", "ndjson"));

        Assert.True(exitCode == 0, error);
        var expected = events.Where(e => e.Action is "page" or "identify").TakeLast(7).Select(e => e.EventId);
        Assert.Equal(expected, Lines(output).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("eventId").GetString()));
        Assert.All(simulator.Requests, r => Assert.Contains("include=page%2Cidentify", r.Query, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("SIGINT")]
    [InlineData("SIGTERM")]
    public async Task Signal_MidStream_Exits0WithCheckpoint_RestartDeliversTheRestExactlyOnce(string signal)
    {
        // A slow server (10 requests/s) so that the stream is still running when the signal comes.
        (IntilerySimulator simulator, List<SimulatedEvent> events) = await BacklogAsync(6_000, o => { o.RequestsPerSecond = 10; o.Burst = 5; });
        await using IntilerySimulator owned = simulator;
        string checkpoint = Path.Combine(Path.GetTempPath(), $"tail-{Guid.NewGuid():N}.json");
        try
        {
            var lines = new List<string>();
            string[] args = Args(simulator, "--from-beginning", "--format", "ndjson", "--checkpoint", checkpoint);
            await using (CliProcess tail = CliProcess.Start(args, TokenEnv(simulator)))
            {
                Task<string> errors = tail.Error.ReadToEndAsync();
                while (lines.Count < 1_000 && await tail.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
                {
                    lines.Add(line);
                }

                tail.Signal(signal == "SIGINT" ? "INT" : "TERM");
                while (await tail.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)) is { } line)
                {
                    lines.Add(line);
                }

                await tail.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.True(tail.Process.ExitCode == 0, await errors);
            }

            Assert.True(lines.Count < events.Count, "the signal came after the end; the test proves nothing");
            Assert.True(File.Exists(checkpoint));

            (int exitCode, string rest, string error) = await CliProcess.RunAsync(
                Args(simulator, "--from-beginning", "--until-caught-up", "--format", "ndjson", "--checkpoint", checkpoint), TokenEnv(simulator), TimeSpan.FromMinutes(3));
            Assert.True(exitCode == 0, error);
            lines.AddRange(Lines(rest));

            var ids = lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("eventId").GetString()).ToList();
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.Equal(events.Select(e => e.EventId), ids);
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    [Fact]
    public async Task WrongToken_OneClearLineOnStderr_NoStackNoToken_NonZeroExit()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();

        (int exitCode, string output, string error) = await CliProcess.RunAsync(Args(simulator, "--token", "s3cret-wrong-token", "--format", "ndjson"));

        Assert.Equal(1, exitCode);
        Assert.Equal("", output);
        string line = Assert.Single(Lines(error.Replace("\r", "", StringComparison.Ordinal)));
        Assert.Contains("401", line, StringComparison.Ordinal);
        Assert.Contains("authentication_error", line, StringComparison.Ordinal);
        Assert.Contains(simulator.Requests.Single().RequestId, line, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-wrong-token", error, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--last", "abc")]
    [InlineData("--last", "0")]
    [InlineData("--since", "yesterday")]
    [InlineData("--last", "5", "--from-beginning")]
    [InlineData("--format", "xml")]
    [InlineData("--max-lateness", "soon")]
    [InlineData("--include", "a,,b")]
    public async Task BadArguments_PrintUsageAndExit2(params string[] extra)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        int exitCode = await EventStream.Cli.Program.RunAsync(["tail", "--client", "c", "--account", "a", "--brand", "b", "--token", "t", .. extra], output, error);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output.ToString());
        Assert.Contains("Usage", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--account", "a", "--brand", "b", "--token", "t")]
    [InlineData("--client", "c", "--account", "a", "--brand", "b")]
    public async Task MissingClientOrToken_PrintUsageAndExit2(params string[] args)
    {
        (int exitCode, string output, string error) = await CliProcess.RunAsync(["tail", .. args]);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains(args.Contains("--client") ? "--token" : "--client", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_ShowsRecentThenLiveEvents_AndCanStopWhenCaughtUp()
    {
        (int exitCode, string output, string error) = await CliProcess.RunAsync(["tail", "--demo", "--format", "ndjson", "--until-caught-up", "--max-lateness", "1s"], timeout: TimeSpan.FromMinutes(2));

        Assert.True(exitCode == 0, error);
        string[] lines = Lines(output);
        Assert.True(lines.Length >= 20, $"{lines.Length} lines");
        Assert.All(lines, l => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(l).RootElement.ValueKind));
        Assert.Equal(lines.Length, lines.Distinct().Count());
    }
}
