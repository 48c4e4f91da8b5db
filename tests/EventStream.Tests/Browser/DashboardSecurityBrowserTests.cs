using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Playwright;

namespace EventStream.Tests.Browser;

/// <summary>
/// The dashboard's edges in a real browser (Debian's chromium driven by Playwright): with the access token the page
/// streams and the token leaves the address bar; without it nothing; a rebinding name is refused; the security headers are
/// there and the page runs under its CSP with no violation.
/// </summary>
[Collection(Alone.Name)]
public class DashboardSecurityBrowserTests
{
    private const string RebindingHost = "attacker.example";

    // A rebinding page's name resolves to 127.0.0.1, as DNS rebinding makes it: the browser then sends Host: attacker.example.
    private static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync",
            $"--host-resolver-rules=MAP {RebindingHost} 127.0.0.1"],
    });

    private static string[] Args(IntilerySimulator simulator, params string[] more)
        => ["dashboard", "--base-url", simulator.BaseUrl.ToString(), "--client", simulator.Options.ClientId, "--account", simulator.Options.AccountId,
            "--brand", simulator.Options.BrandId, "--token", simulator.Options.Token, "--last", "20", "--max-lateness", "2s", .. more];

    // Every CSP violation the page reports, and every console line that speaks of one.
    private const string CspWatch = "window.__csp = []; document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));";

    [Fact]
    public async Task WithTheToken_ThePageStreams_TheTokenLeavesTheAddressBar_HeadersPresent_NoCspViolation()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.LiveRate = 10);
        await using CliProcess dashboard = CliProcess.Start(Args(simulator, "--require-token"));
        string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
        Assert.Contains("?t=", url, StringComparison.Ordinal);

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await LaunchAsync(playwright);
        await using IBrowserContext context = await browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        IPage page = await context.NewPageAsync();
        await page.AddInitScriptAsync(CspWatch);
        var console = new List<string>();
        page.Console += (_, m) => { lock (console) { console.Add($"{m.Type}: {m.Text}"); } };
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        IResponse? response = await page.GotoAsync(url);
        Assert.Equal(200, response!.Status);
        Assert.DoesNotContain("t=", page.Url, StringComparison.Ordinal); // redirected to the URL without the token
        Dictionary<string, string> headers = response.Headers;
        Assert.Contains("frame-ancestors 'none'", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-inline", headers["content-security-policy"], StringComparison.Ordinal);
        Assert.Equal("nosniff", headers["x-content-type-options"]);
        Assert.Equal("no-referrer", headers["referrer-policy"]);

        BrowserContextCookiesResult cookie = Assert.Single(await context.CookiesAsync());
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.DoesNotContain(url[(url.IndexOf("?t=", StringComparison.Ordinal) + 3)..], cookie.Value, StringComparison.Ordinal);

        // Events stream, the charts and their legend render (the legend is styled from script, which the CSP allows).
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#events tbody tr').length >= 25", null, new() { Timeout = 30_000 });
        await page.WaitForFunctionAsync("() => document.getElementById('banner').dataset.state === 'live'", null, new() { Timeout = 30_000 });
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#legend .k').length > 0");
        await page.ClickAsync("#events tbody tr");
        Assert.Contains("\"eventId\"", await page.InnerTextAsync("#detail pre"), StringComparison.Ordinal);
        Directory.CreateDirectory(Path.Combine(TestData.RepoRoot(), ".ci", "out"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(TestData.RepoRoot(), ".ci", "out", "dashboard-token.png") });

        Assert.Empty(await page.EvaluateAsync<string[]>("() => window.__csp"));
        lock (console)
        {
            Assert.DoesNotContain(console, l => l.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase) || l.Contains("Content-Security-Policy", StringComparison.OrdinalIgnoreCase));
            Assert.DoesNotContain(console, l => l.StartsWith("error:", StringComparison.Ordinal)); // nor any other error (a header ignored, a 404)
        }

        Assert.Empty(errors);
        dashboard.Signal("TERM");
        await dashboard.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task WithoutTheToken_401_AndNoEventReachesThePage()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.LiveRate = 10);
        await using CliProcess dashboard = CliProcess.Start(Args(simulator, "--require-token"));
        string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
        string bare = url[..url.IndexOf('?', StringComparison.Ordinal)];

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await LaunchAsync(playwright);
        IPage page = await browser.NewPageAsync();
        IResponse? response = await page.GotoAsync(bare);
        Assert.Equal(401, response!.Status);
        string body = await response.TextAsync();
        Assert.StartsWith("401: this dashboard needs its access token.", body, StringComparison.Ordinal);
        Assert.DoesNotContain("eventId", body, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers["x-content-type-options"]);

        // The stream itself, asked for from the page's origin without the cookie: 401, no data.
        int status = await page.EvaluateAsync<int>("async () => (await fetch('/events')).status");
        Assert.Equal(401, status);
        IResponse? wrong = await page.GotoAsync(bare + "?t=0123456789abcdef0123456789abcdef");
        Assert.Equal(401, wrong!.Status);
        Assert.Empty(await browser.Contexts[0].CookiesAsync());
    }

    [Fact]
    public async Task RebindingName_ResolvedToLoopback_IsRefused_NoData()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.LiveRate = 10);
        await using CliProcess dashboard = CliProcess.Start(Args(simulator));
        string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
        string rebound = url.Replace("127.0.0.1", RebindingHost, StringComparison.Ordinal);

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await LaunchAsync(playwright);
        IPage page = await browser.NewPageAsync();

        // The dashboard itself, by its own address: served (loopback, no token asked for).
        IResponse? own = await page.GotoAsync(url);
        Assert.Equal(200, own!.Status);

        // The attacker's page, whose name now resolves to 127.0.0.1: refused, the page and the stream.
        IResponse? response = await page.GotoAsync(rebound);
        Assert.Equal(400, response!.Status);
        Assert.DoesNotContain("EventSource", await response.TextAsync(), StringComparison.Ordinal);
        int status = await page.EvaluateAsync<int>("async () => (await fetch('/events')).status");
        Assert.Equal(400, status);
        Assert.Equal(0, await page.EvalOnSelectorAllAsync<int>("#events tbody tr", "rows => rows.length"));
    }
}
