using EventStream.Cli;
using EventStream.Tests.Infrastructure;
using static EventStream.Tests.Webhooks.WebhookTestKit;

namespace EventStream.Tests.Cli;

/// <summary><c>eventstream forward</c> in process: delivers the demo feed to a real receiver, stops cleanly, refuses bad arguments.</summary>
public sealed class ForwardCommandTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"fwd-{Guid.NewGuid():N}");
    private WebhookReceiver _receiver = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        _receiver = await WebhookReceiver.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _receiver.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Forward_DemoToAUrl_DeliversSignedEventsPrintsReadyAndStatusLinesAndStopsWithExitZero()
    {
        string secretFile = Path.Combine(_dir, "secret");
        File.WriteAllText(secretFile, "# rotation: new first\n" + Secret2 + "\n" + Secret1 + "\n");
        _receiver.Verify("hook", Secret1);
        var error = new StringWriter();
        using var stop = new CancellationTokenSource();

        Task<int> run = Program.RunAsync(["forward", "--demo", "--to", _receiver.Url("hook").ToString(), "--secret-file", secretFile, "--status-every", "100ms",
            "--checkpoint", Path.Combine(_dir, "cp.json"), "--dead-letters", Path.Combine(_dir, "dead.ndjson")], TextWriter.Null, TextWriter.Synchronized(error), stop.Token);
        await Wait.UntilAsync(() => _receiver.Accepted("hook").Count >= 20, "the demo's events are delivered", TimeSpan.FromSeconds(60));
        await Wait.UntilAsync(() => error.ToString().Contains("delivered", StringComparison.Ordinal), "a status line");
        await stop.CancelAsync();
        int exit = await run;

        string text = error.ToString();
        Assert.Equal(0, exit);
        Assert.Contains("eventstream forward: forwarding the demo simulator to 1 route (to (http://127.0.0.1:", text, StringComparison.Ordinal);
        Assert.Contains("Ctrl+C stops.", text, StringComparison.Ordinal);
        Assert.Contains("eventstream forward: stopped;", text, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret1[6..], text, StringComparison.Ordinal);
        Assert.All(_receiver.Received("hook"), d => Assert.True(d.Verified, d.VerifyError));
        Assert.True(File.Exists(Path.Combine(_dir, "cp.json")));
    }

    [Fact]
    public async Task Forward_EventsWaitingForTheirRetry_TheStatusLineSaysHowManyAndTheLastFailure()
    {
        // Said before as "failing (last HTTP 200)": the last answer of any attempt, another customer's success.
        _receiver.Answer("hook", d => d.Attempt == 1 ? new Reply(503) : Reply.Ok);
        var error = new StringWriter();
        using var stop = new CancellationTokenSource();

        Task<int> run = Program.RunAsync(["forward", "--demo", "--to", _receiver.Url("hook").ToString(), "--status-every", "100ms", "--retry-schedule", "0,1h",
            "--dead-letters", Path.Combine(_dir, "dead.ndjson")], TextWriter.Null, TextWriter.Synchronized(error), stop.Token);
        await Wait.UntilAsync(() => System.Text.RegularExpressions.Regex.IsMatch(error.ToString(), @"failing \(([2-9]|\d\d+) waiting for a retry; last failure HTTP 503\)"),
            "a status line counting the events that wait", TimeSpan.FromSeconds(60));
        await stop.CancelAsync();

        Assert.Equal(0, await run);
        Assert.DoesNotContain("last HTTP", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--demo")]
    [InlineData("--demo", "--to", "http://hooks.example.com/x")]
    [InlineData("--demo", "--to", "https://x.example.com/", "--routes", "r.json")]
    [InlineData("--demo", "--to", "https://x.example.com/", "--retry-schedule", "0,soon")]
    [InlineData("--demo", "--to", "https://x.example.com/", "--secret-env", "EVENTSTREAM_TEST_UNSET_SECRET")]
    public async Task Forward_BadArguments_UsageAndExitTwo(params string[] args)
    {
        var error = new StringWriter();
        int exit = await Program.RunAsync(["forward", .. args], TextWriter.Null, error);
        Assert.Equal(2, exit);
        Assert.Contains("Usage:", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forward_RoutesFileWithAnInlineSecret_RefusedNamingTheField()
    {
        string routes = Path.Combine(_dir, "routes.json");
        File.WriteAllText(routes, "{\"routes\":[{\"name\":\"crm\",\"url\":\"https://crm.example.com/h\",\"secret\":\"" + Secret1 + "\"}]}");
        var error = new StringWriter();
        int exit = await Program.RunAsync(["forward", "--demo", "--routes", routes], TextWriter.Null, error);
        Assert.Equal(2, exit);
        Assert.Contains("routes[0].secret: give \"secretEnv\"", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Secret1[6..], error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forward_DeadLettersToAJetStreamStream_ThenReplayedFromIt_DeliveredAndRemoved()
    {
        await using NatsServer nats = await NatsServer.StartAsync();
        _receiver.Answer("hook", _ => new Reply(400)); // every event rejected: a dead letter at once
        var error = new StringWriter();
        using (var stop = new CancellationTokenSource())
        {
            Task<int> run = Program.RunAsync(["forward", "--demo", "--to", _receiver.Url("hook").ToString(), "--status-every", "100ms",
                "--dead-letters", "jetstream:HOOK_DEAD", "--nats", nats.Url], TextWriter.Null, TextWriter.Synchronized(error), stop.Token);
            await Wait.UntilAsync(() => _receiver.Received("hook").Count >= 10, "events rejected", TimeSpan.FromSeconds(60));
            await stop.CancelAsync();
            Assert.Equal(0, await run);
        }

        Assert.Contains("dead letters to JetStream stream HOOK_DEAD at nats://127.0.0.1:", error.ToString(), StringComparison.Ordinal);
        await using NATS.Client.Core.NatsConnection connection = nats.Connect();
        var js = new NATS.Client.JetStream.NatsJSContext(connection);
        long stored = (await js.GetStreamAsync("HOOK_DEAD")).Info.State.Messages;
        string[] rejected = [.. _receiver.Received("hook").Select(d => d.WebhookId).Distinct()];
        Assert.Equal(rejected.Length, stored); // each rejected event once, none other

        _receiver.Answer("hook", _ => Reply.Ok);
        var replayError = new StringWriter();
        int exit = await Program.RunAsync(["forward", "--to", _receiver.Url("hook").ToString(), "--replay-dead-letters", "jetstream:HOOK_DEAD", "--nats", nats.Url],
            TextWriter.Null, replayError);

        Assert.Equal(0, exit);
        Assert.Contains($"replayed {stored:N0} dead letters from JetStream stream HOOK_DEAD: {stored:N0} delivered, 0 dead-lettered again", replayError.ToString(), StringComparison.Ordinal);
        Assert.Equal(rejected.Order(), _receiver.Accepted("hook").Select(d => d.WebhookId).Order());
        Assert.Equal(0L, (await js.GetStreamAsync("HOOK_DEAD")).Info.State.Messages);
    }

    [Fact]
    public async Task Forward_DeadLettersToJetStream_NoServer_SaysSoAndExitsOne()
    {
        int port = FreePort();
        var error = new StringWriter();
        int exit = await Program.RunAsync(["forward", "--demo", "--to", _receiver.Url("hook").ToString(), "--dead-letters", "jetstream:HOOK_DEAD", "--nats", $"nats://u:s3cret-pw@127.0.0.1:{port}"],
            TextWriter.Null, error);

        Assert.Equal(1, exit);
        Assert.Contains($"eventstream forward: cannot reach NATS at nats://u:***@127.0.0.1:{port} for the dead letters", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error.ToString(), StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
