using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using EventStream.Cli.Commands;
using EventStream.Cli.Dashboard;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Cli;

/// <summary><c>eventstream dashboard</c> as a real process: its URL first, the page, the events and the health check behind it.</summary>
public class DashboardCommandTests
{
    [Fact]
    public async Task Dashboard_PrintsItsUrlFirst_ServesThePageEventsAndHealth_OnLoopback()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        var backlog = simulator.AddBacklog(30, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        await using CliProcess dashboard = CliProcess.Start(["dashboard", "--base-url", simulator.BaseUrl.ToString(), "--client", simulator.Options.ClientId,
            "--account", simulator.Options.AccountId, "--brand", simulator.Options.BrandId, "--token", simulator.Options.Token, "--from-beginning"]);

        string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
        Assert.Matches("^http://127\\.0\\.0\\.1:[0-9]+/$", url);
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        string page = await http.GetStringAsync("/");
        Assert.Contains("<script type=\"module\" src=\"app.js\"></script>", page, StringComparison.Ordinal);
        Assert.Contains("new EventSource", await http.GetStringAsync("/app.js"), StringComparison.Ordinal);
        Assert.DoesNotContain("http", (await http.GetStringAsync("/app.css")).Replace("https://", "", StringComparison.Ordinal), StringComparison.Ordinal); // offline: no CDN

        using var stream = new StreamReader(await http.GetStreamAsync("/events?status=false"));
        var ids = new HashSet<string>();
        while (ids.Count < backlog.Count && await stream.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                ids.Add(JsonDocument.Parse(line[6..]).RootElement.GetProperty("eventId").GetString()!);
            }
        }

        Assert.Equal(backlog.Select(e => e.EventId).Order(), ids.Order());
        string health = "";
        for (int i = 0; i < 50 && health != "Healthy"; i++)
        {
            health = await http.GetStringAsync("/health");
            await Task.Delay(100);
        }

        Assert.Equal("Healthy", health);
        dashboard.Signal("TERM");
        await dashboard.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, dashboard.Process.ExitCode);
    }

    private static string[] Args(IntilerySimulator simulator, params string[] more)
        => ["dashboard", "--base-url", simulator.BaseUrl.ToString(), "--client", simulator.Options.ClientId, "--account", simulator.Options.AccountId,
            "--brand", simulator.Options.BrandId, "--token", simulator.Options.Token, "--from-beginning", .. more];

    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, string path, string? host = null, string? cookie = null, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        return await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static async Task<string> FirstEventAsync(HttpResponseMessage events)
    {
        Assert.Equal(HttpStatusCode.OK, events.StatusCode);
        using var reader = new StreamReader(await events.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return line;
            }
        }

        throw new InvalidOperationException("the stream ended without an event");
    }

    private static void AssertSecurityHeaders(HttpResponseMessage response)
    {
        string csp = response.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task ForeignHost_IsRefusedBeforeAnyData_LoopbackNamesAreServed()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        simulator.AddBacklog(10, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        await using CliProcess dashboard = CliProcess.Start(Args(simulator));
        string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
        int port = new Uri(url).Port;

        // A DNS-rebinding page: its own name, resolved to 127.0.0.1, in the Host header.
        foreach (string path in new[] { "/", "/app.js", "/events", "/health" })
        {
            using HttpResponseMessage refused = await GetAsync(http, path, host: $"attacker.example:{port}");
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            AssertSecurityHeaders(refused);
            string body = await refused.Content.ReadAsStringAsync();
            Assert.DoesNotContain("eventId", body, StringComparison.Ordinal);
            Assert.DoesNotContain("EventSource", body, StringComparison.Ordinal);
        }

        foreach (string host in new[] { $"localhost:{port}", $"127.0.0.1:{port}", $"[::1]:{port}" })
        {
            using HttpResponseMessage page = await GetAsync(http, "/", host: host);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            AssertSecurityHeaders(page);
        }

        using HttpResponseMessage events = await GetAsync(http, "/events?status=false");
        AssertSecurityHeaders(events);
        Assert.Contains("\"eventId\"", await FirstEventAsync(events), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessTokenGiven_PageAndEventsNeedIt_TheUrlCarriesTheTokenOnceAndTheExchangeSetsAStrictHttpOnlyCookie()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        simulator.AddBacklog(10, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        await using CliProcess dashboard = CliProcess.Start(Args(simulator, "--require-token"));
        string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
        Assert.Matches("^http://127\\.0\\.0\\.1:[0-9]+/\\?t=[0-9a-f]{32}$", url);
        string token = url[(url.IndexOf("?t=", StringComparison.Ordinal) + 3)..];
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };

        // Without it: 401 and nothing else, with the headers; a wrong token too. /health stays open.
        foreach (string path in new[] { "/", "/app.js", "/events", "/?t=0123456789abcdef0123456789abcdef", "/events?t=nope" })
        {
            using HttpResponseMessage denied = await GetAsync(http, path);
            Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
            string body = await denied.Content.ReadAsStringAsync();
            Assert.StartsWith("401: this dashboard needs its access token.", body, StringComparison.Ordinal); // what to do, and nothing else
            Assert.DoesNotContain("eventId", body, StringComparison.Ordinal);
            AssertSecurityHeaders(denied);
        }

        using (HttpResponseMessage wrongBearer = await GetAsync(http, "/events", bearer: "0123456789abcdef0123456789abcdef"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrongBearer.StatusCode);
        }

        using (HttpResponseMessage health = await GetAsync(http, "/health"))
        {
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        }

        // The first visit: a cookie (HttpOnly, SameSite=Strict, not the token) and a redirect to the URL without the token.
        using HttpResponseMessage exchange = await GetAsync(http, "/?t=" + token);
        Assert.Equal(HttpStatusCode.Redirect, exchange.StatusCode);
        Assert.Equal("/", exchange.Headers.Location!.OriginalString);
        string setCookie = exchange.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(token, setCookie, StringComparison.Ordinal);
        string cookie = setCookie.Split(';')[0];

        using (HttpResponseMessage page = await GetAsync(http, "/", cookie: cookie))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("app.js", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (HttpResponseMessage events = await GetAsync(http, "/events?status=false", cookie: cookie))
        {
            Assert.Contains("\"eventId\"", await FirstEventAsync(events), StringComparison.Ordinal);
        }

        using (HttpResponseMessage events = await GetAsync(http, "/events?status=false", bearer: token))
        {
            Assert.Contains("\"eventId\"", await FirstEventAsync(events), StringComparison.Ordinal);
        }

        dashboard.Signal("TERM");
        string error = await dashboard.Error.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await dashboard.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(token, error, StringComparison.Ordinal); // printed once: in the URL, nowhere else
        Assert.Contains("access token", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AccessTokenFile_IsRequired_AndTheUrlPrintedLeavesItOut()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        string file = Path.Combine(Path.GetTempPath(), $"dashboard-token-{Guid.NewGuid():N}");
        string token = "given-" + Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(file, token + "\n");
        try
        {
            await using CliProcess dashboard = CliProcess.Start(Args(simulator, "--access-token-file", file));
            string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
            Assert.Matches("^http://127\\.0\\.0\\.1:[0-9]+/$", url);
            using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            using (HttpResponseMessage denied = await GetAsync(http, "/"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, denied.StatusCode);
            }

            using HttpResponseMessage page = await GetAsync(http, "/", bearer: token);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task TlsCertificateAndKey_ServeHttps_WithASecureCookie()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string certFile = Path.Combine(Path.GetTempPath(), $"dashboard-{Guid.NewGuid():N}.crt"), keyFile = Path.ChangeExtension(certFile, ".key");
        await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        try
        {
            await using CliProcess dashboard = CliProcess.Start(Args(simulator, "--tls-cert", certFile, "--tls-key", keyFile, "--require-token"));
            string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
            Assert.StartsWith("https://127.0.0.1:", url, StringComparison.Ordinal);
            string thumbprint = certificate.Thumbprint;
            using var http = new HttpClient(new HttpClientHandler
            {
                AllowAutoRedirect = false,
                UseCookies = false,
                ServerCertificateCustomValidationCallback = (_, served, _, _) => served?.Thumbprint == thumbprint,
            }) { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(30) };
            using HttpResponseMessage exchange = await GetAsync(http, new Uri(url).PathAndQuery);
            Assert.Equal(HttpStatusCode.Redirect, exchange.StatusCode);
            string setCookie = exchange.Headers.GetValues("Set-Cookie").Single();
            Assert.Contains("secure", setCookie, StringComparison.OrdinalIgnoreCase);
            using HttpResponseMessage page = await GetAsync(http, "/", cookie: setCookie.Split(';')[0]);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }
        finally
        {
            File.Delete(certFile);
            File.Delete(keyFile);
        }
    }

    [Fact]
    public async Task ListenLocalhost_IsLoopback_TheUrlSaysLocalhost()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        await using CliProcess dashboard = CliProcess.Start(Args(simulator, "--listen", "localhost"));
        string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
        Assert.Matches("^http://localhost:[0-9]+/$", url);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using HttpResponseMessage page = await http.GetAsync(url.Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode); // loopback: no token unless asked for
    }

    [Fact]
    public async Task Wildcard_AllowsThisMachinesNamesNotAnyHost_AndIsNotLoopback()
    {
        (DashboardListen? listen, string? error) = await DashboardListen.ResolveAsync("0.0.0.0", ["dash.example.com"], CancellationToken.None);

        Assert.Null(error);
        Assert.False(listen!.IsLoopback); // so a token is required
        Assert.Contains("localhost", listen.AllowedHosts);
        Assert.Contains("127.0.0.1", listen.AllowedHosts);
        Assert.Contains("[::1]", listen.AllowedHosts);
        Assert.Contains("dash.example.com", listen.AllowedHosts);
        Assert.Contains(Dns.GetHostName(), listen.AllowedHosts);
        // HostFiltering reads these as "any host": they must never be in the list.
        Assert.DoesNotContain("0.0.0.0", listen.AllowedHosts);
        Assert.DoesNotContain("[::]", listen.AllowedHosts);
        Assert.DoesNotContain("*", listen.AllowedHosts);
        Assert.NotEqual("0.0.0.0", listen.DisplayHost);
    }

    [Fact]
    public void AccessToken_OffLoopbackGenerated_GivenKept_ShortRefused()
    {
        (DashboardAccessToken? generated, bool given, string? error) = DashboardCommand.AccessToken(null, required: true);
        Assert.Null(error);
        Assert.False(given);
        Assert.Matches("^[0-9a-f]{32}$", generated!.Value);
        Assert.NotEqual(generated.Value, DashboardCommand.AccessToken(null, required: true).Token!.Value);
        Assert.Null(DashboardCommand.AccessToken(null, required: false).Token);

        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "short\n");
            Assert.Contains("--access-token-file", DashboardCommand.AccessToken(file, required: false).Error, StringComparison.Ordinal);
            File.WriteAllText(file, "a-long-enough-token-1234\n");
            (DashboardAccessToken? fromFile, bool fromFileGiven, _) = DashboardCommand.AccessToken(file, required: false);
            Assert.True(fromFileGiven);
            Assert.Equal("a-long-enough-token-1234", fromFile!.Value);
            Assert.True(fromFile.IsToken("a-long-enough-token-1234"));
            Assert.False(fromFile.IsToken("a-long-enough-token-1235"));
            Assert.True(fromFile.IsCookie(fromFile.CookieValue));
            Assert.False(fromFile.IsCookie("a-long-enough-token-1234"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("--listen", "not-an-address")]
    [InlineData("--listen", "not an address")]
    [InlineData("--listen", "no-such-host.invalid")]
    [InlineData("--allowed-host", "*")]
    [InlineData("--allowed-host", "http://x.example")]
    [InlineData("--access-token-file", "/nonexistent/token")]
    [InlineData("--tls-cert", "/nonexistent/cert.pem")]
    [InlineData("--tls-key", "/nonexistent/key.pem")]
    [InlineData("--port", "70000")]
    public async Task BadArguments_PrintUsageAndExit2(string option, string value)
    {
        (int exitCode, string output, string error) = await CliProcess.RunAsync(["dashboard", "--demo", option, value]);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains(option, error, StringComparison.Ordinal);
    }
}
