using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Playwright;

namespace EventStream.Tests.Browser;

/// <summary>
/// The dashboard in a real browser (Debian's chromium driven by Playwright): events appear, the banner goes live, the
/// filter and the detail view work, pause shows its banner and resume catches up. Screenshots in .ci/out.
/// </summary>
[Collection(Alone.Name)]
public class DashboardBrowserTests
{
    private static readonly string Screenshots = Path.Combine(TestData.RepoRoot(), ".ci", "out");

    // Debian's chromium (Playwright cannot download its own browser here), without the background traffic a closed network refuses.
    private static Task<IBrowser> LaunchAsync(IPlaywright playwright) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = "/usr/bin/chromium",
        Headless = true,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });

    private static string[] Args(IntilerySimulator simulator, params string[] more)
        => ["dashboard", "--base-url", simulator.BaseUrl.ToString(), "--client", simulator.Options.ClientId, "--account", simulator.Options.AccountId,
            "--brand", simulator.Options.BrandId, "--token", simulator.Options.Token, .. more];

    [Fact]
    public async Task Dashboard_ShowsLiveEvents_FiltersThem_ShowsDetail_AndPauses()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.LiveRate = 20);
        simulator.AddBacklog(60, DateTimeOffset.UtcNow.AddMinutes(-20), DateTimeOffset.UtcNow.AddMinutes(-10));
        await using CliProcess dashboard = CliProcess.Start(Args(simulator, "--from-beginning", "--max-lateness", "2s"));
        string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await LaunchAsync(playwright);
        IPage page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(url);

        // Events appear, and the banner goes from catching up to live.
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#events tbody tr').length >= 60", null, new() { Timeout = 30_000 });
        await page.WaitForFunctionAsync("() => document.getElementById('banner').dataset.state === 'live'", null, new() { Timeout = 30_000 });
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "dashboard-live.png") });

        // The action filter shows only that action.
        string action = await page.EvalOnSelectorAsync<string>("#events tbody tr td:nth-child(2)", "td => td.textContent");
        await page.SelectOptionAsync("#action", action);
        await page.WaitForFunctionAsync($"() => [...document.querySelectorAll('#events tbody tr td:nth-child(2)')].every(td => td.textContent === '{action}')");

        // Clicking a row shows its JSON, pretty-printed.
        await page.ClickAsync("#events tbody tr");
        string detail = await page.InnerTextAsync("#detail pre");
        Assert.Contains($"\"eventAction\": \"{action}\"", detail, StringComparison.Ordinal);

        // Pause: the view freezes and counts what comes meanwhile; resume shows it.
        await page.SelectOptionAsync("#action", "");
        await page.ClickAsync("#pause");
        int frozen = await page.EvalOnSelectorAllAsync<int>("#events tbody tr", "rows => rows.length");
        await page.WaitForFunctionAsync("() => /paused — [1-9][0-9]* new/.test(document.getElementById('paused').textContent)", null, new() { Timeout = 30_000 });
        Assert.Equal(frozen, await page.EvalOnSelectorAllAsync<int>("#events tbody tr", "rows => rows.length"));
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "dashboard-paused.png") });
        await page.ClickAsync("#pause");
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('#events tbody tr').length > {frozen} && document.getElementById('paused').hidden");

        Assert.Empty(errors);
        dashboard.Signal("TERM");
        await dashboard.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Burst_Of2000EventsPerSecond_KeepsRowsBounded_AndThePageResponsive()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.LiveRate = 2_000; o.Burst = 1_000; });
        await using CliProcess dashboard = CliProcess.Start(Args(simulator, "--max-lateness", "2s"));
        string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await LaunchAsync(playwright);
        IPage page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        await page.AddInitScriptAsync("window.__long = []; new PerformanceObserver(l => l.getEntries().forEach(e => window.__long.push(e.duration))).observe({ type: 'longtask', buffered: true });");
        await page.GotoAsync(url);

        // Ten seconds of ~2,000 events/s.
        await page.WaitForFunctionAsync("() => Number(document.getElementById('c-received').textContent.replace(/[^0-9]/g, '')) >= 15000", null, new() { Timeout = 60_000 });
        int rows = await page.EvalOnSelectorAllAsync<int>("#events tbody tr", "rows => rows.length");
        double[] longTasks = await page.EvaluateAsync<double[]>("() => window.__long");
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "dashboard-burst.png") });
        File.WriteAllText(Path.Combine(Screenshots, "dashboard-burst.txt"), $"rows {rows}; long tasks {longTasks.Length}, longest {(longTasks.Length > 0 ? longTasks.Max() : 0):F0} ms\n");

        Assert.InRange(rows, 1, 500);
        // Responsive: the page never blocks its main thread for long (a long task is over 50 ms; none may reach 500 ms).
        Assert.DoesNotContain(longTasks, d => d >= 500);
        dashboard.Signal("TERM");
        await dashboard.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ServerRestart_PageReconnectsByItself_WithNoDuplicateRow_AndCountsTheGap()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.LiveRate = 20);
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        string[] args = Args(simulator, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--last", "50");
        CliProcess first = CliProcess.Start(args);
        string url = (await first.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await LaunchAsync(playwright);
        IPage page = await browser.NewPageAsync();
        await page.GotoAsync(url);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#events tbody tr').length >= 80", null, new() { Timeout = 30_000 });

        first.Signal("TERM");
        await first.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await first.DisposeAsync();
        await page.WaitForFunctionAsync("() => document.getElementById('banner').dataset.state === 'disconnected'", null, new() { Timeout = 30_000 });
        int before = await page.EvalOnSelectorAllAsync<int>("#events tbody tr", "rows => rows.length");

        // Same port, a new server: the page's EventSource reconnects by itself; the new server does not know its
        // Last-Event-ID (reset: a gap is counted) and sends its recent events, some already on the page.
        await using CliProcess second = CliProcess.Start(args);
        Assert.Equal(url, await second.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('#events tbody tr').length >= {before + 40} && document.getElementById('banner').dataset.state === 'live'", null, new() { Timeout = 60_000 });

        string[] ids = await page.EvalOnSelectorAllAsync<string[]>("#events tbody tr", "rows => rows.map(r => r.dataset.eventId)");
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal("1", await page.InnerTextAsync("#c-gaps"));
        second.Signal("TERM");
        await second.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }
}
