using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using NATS.NKeys;

namespace EventStream.Tests.Cli;

/// <summary>
/// <c>eventstream relay</c> as a process against a real nats-server that demands credentials (user/password, token,
/// nkey) or TLS: it publishes with the right ones; a refusal is said as such and exits 1 (at start, and when the
/// credentials are changed under a running relay); an outage is "cannot reach", retried; and no secret is anywhere in
/// its stdout or stderr.
/// </summary>
[Collection(Alone.Name)] // real processes and a nats-server each
public partial class RelayNatsAuthTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Password = "pw-Right-7c1e";
    private const string WrongPassword = "pw-WRONG-93af";

    private static string Users(string password) => $"authorization {{ user: relay, password: \"{password}\" }}";

    [Theory]
    [InlineData("environment")]
    [InlineData("url")]
    public async Task WrongPassword_ExitsOne_SayingTheCredentialsWereRefused_NeverThePassword(string where)
    {
        await using NatsServer server = await NatsServer.StartAsync(Users(Password));
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Backlog = 10);
        string[] nats = where == "url" ? ["--nats", $"nats://relay:{WrongPassword}@127.0.0.1:{server.Port}"] : ["--nats", server.Url, "--nats-user", "relay"];
        var env = where == "url" ? null : new Dictionary<string, string> { ["EVENTSTREAM_NATS_PASSWORD"] = WrongPassword };

        Run run = await RunRelayAsync(simulator, nats, env, stopWhen: null, TimeSpan.FromSeconds(30));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("refused the credentials", run.Error, StringComparison.Ordinal);
        Assert.Contains("authorization violation", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", run.Error, StringComparison.Ordinal);
        NoSecret(run, WrongPassword, simulator.Options.Token);
        if (where == "url")
        {
            Assert.Contains($"nats://relay:***@127.0.0.1:{server.Port}", run.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task NatsDown_SaysCannotReach_AndRetries_NeverShowingThePassword()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Backlog = 10);
        int port = FreePort();

        Run run = await RunRelayAsync(simulator, ["--nats", $"nats://relay:{Password}@127.0.0.1:{port}"], null, stopWhen: l => l.Contains("attempt 2,", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

        Assert.Equal(0, run.ExitCode); // stopped by SIGTERM while waiting to retry
        Assert.Contains($"cannot reach NATS at nats://relay:***@127.0.0.1:{port}", run.Error, StringComparison.Ordinal);
        NoSecret(run, Password, simulator.Options.Token);
    }

    [Fact]
    public async Task SigtermWhileSettingUpTheStream_ExitsZero()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Backlog = 10);

        // Stopped as soon as it is connected, while it creates the stream and buckets (exit 1 before: the cancellation
        // escaped as an exception; seen as a flaky chaos test when a relay started just before the final SIGTERM).
        Run run = await RunRelayAsync(simulator, ["--nats", server.Url], null, l => l.Contains("connected to NATS", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public async Task RightPassword_UrlUserAndPasswordFromTheEnvironment_Publishes()
    {
        await using NatsServer server = await NatsServer.StartAsync(Users(Password));
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Backlog = 50);
        var env = new Dictionary<string, string> { ["EVENTSTREAM_NATS_URL"] = server.Url, ["EVENTSTREAM_NATS_USER"] = "relay", ["EVENTSTREAM_NATS_PASSWORD"] = Password };

        Run run = await RunRelayAsync(simulator, [], env, Published, TimeSpan.FromSeconds(60));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"connected to NATS at {server.Url} (user 'relay' and EVENTSTREAM_NATS_PASSWORD)", run.Error, StringComparison.Ordinal);
        NoSecret(run, Password, simulator.Options.Token);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Token_FromTheEnvironment_RightPublishes_WrongExitsOne(bool right)
    {
        const string token = "tok-Server-51d0", wrong = "tok-WRONG-0be2";
        await using NatsServer server = await NatsServer.StartAsync($"authorization {{ token: \"{token}\" }}");
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Backlog = 50);

        Run run = await RunRelayAsync(simulator, ["--nats", server.Url], new Dictionary<string, string> { ["EVENTSTREAM_NATS_TOKEN"] = right ? token : wrong }, Published, TimeSpan.FromSeconds(60));

        Assert.Equal(right ? 0 : 1, run.ExitCode);
        Assert.Contains(right ? "published" : "refused the credentials (EVENTSTREAM_NATS_TOKEN)", run.Error, StringComparison.Ordinal);
        NoSecret(run, token, wrong, simulator.Options.Token);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task NKeySeedFile_TheServersUserPublishes_AnotherKeyExitsOne(bool right)
    {
        using KeyPair user = KeyPair.CreatePair(PrefixByte.User), stranger = KeyPair.CreatePair(PrefixByte.User);
        await using NatsServer server = await NatsServer.StartAsync($"authorization {{ users: [ {{ nkey: {user.GetPublicKey()} }} ] }}");
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Backlog = 50);
        string seedFile = Path.Combine(Path.GetTempPath(), $"nkey-{Guid.NewGuid():N}.nk");
        File.WriteAllText(seedFile, (right ? user : stranger).GetSeed() + "\n");
        try
        {
            Run run = await RunRelayAsync(simulator, ["--nats", server.Url, "--nats-nkey", seedFile], null, Published, TimeSpan.FromSeconds(60));

            Assert.Equal(right ? 0 : 1, run.ExitCode);
            Assert.Contains(right ? "published" : $"refused the credentials (the nkey {stranger.GetPublicKey()})", run.Error, StringComparison.Ordinal);
            NoSecret(run, user.GetSeed(), stranger.GetSeed(), simulator.Options.Token);
        }
        finally
        {
            File.Delete(seedFile);
        }
    }

    [Fact]
    public async Task CredsFile_AUserOfTheOperatorsAccount_Publishes_ItsSeedNeverShown()
    {
        using var jwts = new NatsJwts();
        string directory = Path.Combine(Path.GetTempPath(), $"jwt-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            await using NatsServer server = await NatsServer.StartAsync(jwts.ServerConfig(directory));
            await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Backlog = 50);
            string creds = jwts.WriteCreds(Path.Combine(directory, "relay.creds"));

            Run run = await RunRelayAsync(simulator, ["--nats", server.Url, "--nats-creds", creds], null, Published, TimeSpan.FromSeconds(60));

            Assert.True(run.ExitCode == 0, string.Join("\n", server.Log));
            Assert.Contains("(the creds file relay.creds)", run.Error, StringComparison.Ordinal);
            NoSecret(run, jwts.UserSeed, simulator.Options.Token);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Tls_TheServerCertificateFromTheCa_AndAClientCertificate_Publishes()
    {
        using TestCertificates pki = TestCertificates.Create();
        await using NatsServer server = await NatsServer.StartAsync(pki.ServerTlsConfig(verify: true));
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Backlog = 50);

        Run run = await RunRelayAsync(
            simulator,
            ["--nats", $"tls://127.0.0.1:{server.Port}", "--nats-ca", pki.CaFile, "--nats-cert", pki.ClientCertFile, "--nats-key", pki.ClientKeyFile],
            null, Published, TimeSpan.FromSeconds(60));

        Assert.Equal(0, run.ExitCode);
        Assert.Contains($"connected to NATS at tls://127.0.0.1:{server.Port} (no credentials, TLS)", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_AServerCertificateFromAnotherCa_ExitsOne_SayingTls_NotUnreachable()
    {
        using TestCertificates pki = TestCertificates.Create();
        await using NatsServer server = await NatsServer.StartAsync(pki.ServerTlsConfig(verify: false));
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Backlog = 10);

        Run run = await RunRelayAsync(simulator, ["--nats", $"tls://127.0.0.1:{server.Port}", "--nats-ca", pki.OtherCaFile], null, stopWhen: null, TimeSpan.FromSeconds(30));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"TLS with NATS at tls://127.0.0.1:{server.Port} failed", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_AServerThatVerifiesClients_NoClientCertificate_ExitsOne_NotUnreachable()
    {
        using TestCertificates pki = TestCertificates.Create();
        await using NatsServer server = await NatsServer.StartAsync(pki.ServerTlsConfig(verify: true));
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Backlog = 10);

        Run run = await RunRelayAsync(simulator, ["--nats", $"tls://127.0.0.1:{server.Port}", "--nats-ca", pki.CaFile], null, stopWhen: null, TimeSpan.FromSeconds(30));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"TLS with NATS at tls://127.0.0.1:{server.Port} failed", run.Error, StringComparison.Ordinal);
        Assert.Contains("needs --nats-cert and --nats-key", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("cannot reach", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_AServerWithoutTls_ExitsOne_SayingTls_NotUnreachable()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Backlog = 10);

        Run run = await RunRelayAsync(simulator, ["--nats", $"tls://127.0.0.1:{server.Port}"], null, stopWhen: null, TimeSpan.FromSeconds(30));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"TLS with NATS at tls://127.0.0.1:{server.Port} failed", run.Error, StringComparison.Ordinal);
        Assert.Contains("does not support TLS", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AUserWithoutThePermissionsItNeeds_ExitsOne_SayingWhichWasDenied()
    {
        await using NatsServer server = await NatsServer.StartAsync($"authorization {{ users: [ {{ user: relay, password: \"{Password}\", permissions: {{ publish: \"elsewhere.>\" }} }} ] }}");
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Backlog = 10);
        var env = new Dictionary<string, string> { ["EVENTSTREAM_NATS_USER"] = "relay", ["EVENTSTREAM_NATS_PASSWORD"] = Password };

        Run run = await RunRelayAsync(simulator, ["--nats", server.Url], env, stopWhen: null, TimeSpan.FromSeconds(60));

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("denied a permission (user 'relay' and EVENTSTREAM_NATS_PASSWORD): Permissions Violation for Publish to \"$JS.API.STREAM.", run.Error, StringComparison.Ordinal);
        Assert.Contains("stopped: ", run.Error, StringComparison.Ordinal);
        NoSecret(run, Password, simulator.Options.Token);
    }

    [Fact]
    public async Task CredentialsChangedUnderARunningRelay_ItStops_ExitOne_SayingTheyWereRefused()
    {
        await using NatsServer server = await NatsServer.StartAsync(Users(Password));
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Backlog = 50; o.LiveRate = 5; });
        var env = new Dictionary<string, string> { ["EVENTSTREAM_NATS_USER"] = "relay", ["EVENTSTREAM_NATS_PASSWORD"] = Password };
        bool reloaded = false;

        Run run = await RunRelayAsync(simulator, ["--nats", server.Url], env, line =>
        {
            if (!reloaded && Published(line))
            {
                reloaded = true;
                server.ReloadAsync(Users("pw-Rotated-2d4b")).GetAwaiter().GetResult(); // the operator rotates the password
            }

            return false; // the relay must stop by itself
        }, TimeSpan.FromSeconds(60));

        Assert.True(reloaded, run.Error);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("stopped: NATS at", run.Error, StringComparison.Ordinal);
        Assert.Contains("refused the credentials (user 'relay' and EVENTSTREAM_NATS_PASSWORD): authorization violation", run.Error, StringComparison.Ordinal);
        NoSecret(run, Password, simulator.Options.Token);
    }

    private static bool Published(string line) => PublishedSome().IsMatch(line);

    [GeneratedRegex(@"published [1-9]")]
    private static partial Regex PublishedSome();

    private static void NoSecret(Run run, params string[] secrets)
    {
        foreach (string secret in secrets)
        {
            Assert.DoesNotContain(secret, run.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, run.Error, StringComparison.Ordinal);
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private sealed record Run(int ExitCode, string Output, string Error);

    // Runs a relay over the simulator's feed with these NATS arguments; when a stderr line satisfies stopWhen, sends
    // SIGTERM. Returns once the process has exited (killed if it has not within the time given: the test then fails).
    private async Task<Run> RunRelayAsync(IntilerySimulator simulator, string[] nats, IDictionary<string, string>? environment, Func<string, bool>? stopWhen, TimeSpan within)
    {
        string feeds = Path.Combine(Path.GetTempPath(), $"feeds-{Guid.NewGuid():N}.json");
        File.WriteAllText(feeds, JsonSerializer.Serialize(new
        {
            baseUrl = simulator.BaseUrl.ToString(),
            feeds = new[] { new { client = simulator.Options.ClientId, account = simulator.Options.AccountId, brand = simulator.Options.BrandId, token = simulator.Options.Token, start = "beginning" } },
        }));
        var env = new Dictionary<string, string>(environment ?? new Dictionary<string, string>());
        foreach (string name in new[] { "EVENTSTREAM_NATS_URL", "EVENTSTREAM_NATS_USER", "EVENTSTREAM_NATS_PASSWORD", "EVENTSTREAM_NATS_TOKEN" })
        {
            env.TryAdd(name, ""); // nothing from the test's own environment
        }

        var error = new StringBuilder();
        await using CliProcess relay = CliProcess.Start(["relay", "--feeds", feeds, "--status-every", "1s", "--lease", "3s", .. nats], env);
        try
        {
            Task<string> stdout = relay.Output.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(within);
            bool stopped = false;
            try
            {
                while (await relay.Error.ReadLineAsync(timeout.Token) is { } line)
                {
                    error.AppendLine(line);
                    if (!stopped && stopWhen?.Invoke(line) == true)
                    {
                        stopped = true;
                        relay.Signal("TERM");
                    }
                }

                await relay.Process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"the relay did not end within {within}: {error}");
            }

            var run = new Run(relay.Process.ExitCode, await stdout, error.ToString());
            output.WriteLine($"exit {run.ExitCode}\n{run.Error}");
            return run;
        }
        finally
        {
            File.Delete(feeds);
        }
    }
}
