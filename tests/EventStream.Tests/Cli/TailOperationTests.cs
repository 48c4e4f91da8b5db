using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Cli;

/// <summary><c>eventstream tail</c> run the way a daemon runs it: bad transports, outages, odd events — as real processes.</summary>
public class TailOperationTests
{
    private static string[] Args(IntilerySimulator simulator, params string[] more)
        => ["tail", "--base-url", simulator.BaseUrl.ToString(), "--client", simulator.Options.ClientId, "--account", simulator.Options.AccountId, "--brand", simulator.Options.BrandId, "--token", simulator.Options.Token, .. more];

    [Fact]
    public async Task PlainHttpToARemoteHost_IsRefusedAtOnce_Exit2_NamingHttps()
    {
        (int exitCode, string output, string error) = await CliProcess.RunAsync(
            ["tail", "--base-url", "http://tracking.example.com/track/", "--client", "c", "--account", "a", "--brand", "b", "--token", "secret-token-123"]);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.StartsWith("eventstream tail: --base-url must use https", error, StringComparison.Ordinal);
        Assert.Contains("--allow-insecure-http", error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-token-123", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UntilCaughtUp_AgainstAClosedPort_GivesUpAfterTheRetries_Exit1_OneLineReason()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        (int exitCode, string output, string error) = await CliProcess.RunAsync(
            ["tail", "--base-url", $"http://127.0.0.1:{port}/track/", "--client", "c", "--account", "a", "--brand", "b", "--token", "secret-token-123", "--from-beginning", "--until-caught-up"],
            timeout: TimeSpan.FromSeconds(60));

        Assert.Equal(1, exitCode);
        Assert.Equal("", output);
        string[] lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("eventstream tail: retrying: ", lines[0], StringComparison.Ordinal); // said when the episode starts
        Assert.Contains("connection_error", lines[^1], StringComparison.Ordinal);           // and why it gave up, on one line
        Assert.Contains("refused", lines[^1], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secret-token-123", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerErrors_Ndjson_StdoutStaysPure_StderrSaysRetryingAndRecovered()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.ErrorRate = 0.3; o.Seed = 5; });
        IReadOnlyList<SimulatedEvent> events = simulator.AddBacklog(2_000, DateTimeOffset.UtcNow.AddHours(-3), DateTimeOffset.UtcNow.AddHours(-2));

        (int exitCode, string output, string error) = await CliProcess.RunAsync(Args(simulator, "--from-beginning", "--until-caught-up", "--format", "ndjson"), timeout: TimeSpan.FromSeconds(120));

        Assert.True(exitCode == 0, error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(events.Count, lines.Length);
        Assert.All(lines, l => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(l).RootElement.ValueKind)); // nothing else on stdout
        string[] said = error.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(said, l => l.StartsWith("eventstream tail: retrying: Events API request failed with HTTP 5", StringComparison.Ordinal) && l.Contains("request id", StringComparison.Ordinal) && l.Contains("next attempt at", StringComparison.Ordinal));
        Assert.Contains(said, l => l.StartsWith("eventstream tail: recovered after ", StringComparison.Ordinal));
        Assert.Equal(said.Count(l => l.Contains(": retrying: ", StringComparison.Ordinal)), said.Count(l => l.Contains(": recovered after ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task HostileEvents_DeepNestingDeliveredByteExact_EventWithoutIdReportedOnStderr_RestDelivered()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        DateTimeOffset t = DateTimeOffset.UtcNow.AddHours(-2);
        List<SimulatedEvent> good = [.. simulator.AddBacklog(300, t, t.AddMinutes(10))];
        SimulatedEvent deep = HostileEvents.DeeplyNested(simulator.Events, t.AddMinutes(5), 200);
        SimulatedEvent noId = HostileEvents.WithoutEventId(t.AddMinutes(6));
        simulator.Add([deep, noId]);
        good.Add(deep);

        (int exitCode, string output, string error) = await CliProcess.RunAsync(Args(simulator, "--from-beginning", "--until-caught-up", "--format", "ndjson"));

        Assert.True(exitCode == 0, error);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(good.Select(e => e.EventId).Order(), lines.Select(l => JsonDocument.Parse(l, new JsonDocumentOptions { MaxDepth = 1_000 }).RootElement.GetProperty("eventId").GetString()).Order());
        Assert.Contains(Encoding.UTF8.GetString(deep.Json), lines);
        string said = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("eventstream tail: unreadable event skipped: event ", said, StringComparison.Ordinal);
        Assert.Contains("has no eventId", said, StringComparison.Ordinal);
        Assert.Contains("request id", said, StringComparison.Ordinal);
    }
}
