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
        ExecutablePath = RequiredTool.Find("chromium", "chromium"),
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

        // New events are inserted above the rows already shown, which stay the same elements (a row being clicked is never
        // replaced under the pointer; rebuilding the table every render made clicks miss under load, issue 22).
        int shown = await page.EvaluateAsync<int>("() => { window.__kept = [...document.querySelectorAll('#events tbody tr')]; return window.__kept.length; }");
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('#events tbody tr').length >= {shown + 10}", null, new() { Timeout = 30_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__kept.every(tr => tr.isConnected)"), "rows already shown were replaced by a render");

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
        // What the page does per render, counted rather than timed: a render inserts the rows that arrived since the last
        // one in one insertion (or, on a change of filter, all of them), so each mutation that adds rows is one render and
        // the rows it adds are that render's DOM work. Long tasks are recorded too, for the artifact only.
        await page.AddInitScriptAsync("""
            window.__long = []; window.__renders = [];
            new PerformanceObserver(l => l.getEntries().forEach(e => window.__long.push(e.duration))).observe({ type: 'longtask', buffered: true });
            new MutationObserver(records => records.forEach(r => { const added = [...r.addedNodes].filter(n => n.nodeName === 'TR').length; if (added > 0) window.__renders.push(added); }))
              .observe(document, { childList: true, subtree: true });
            """);
        await page.GotoAsync(url);

        // Ten seconds of ~2,000 events/s.
        await page.WaitForFunctionAsync("() => Number(document.getElementById('c-received').textContent.replace(/[^0-9]/g, '')) >= 15000", null, new() { Timeout = 60_000 });
        int received = await page.EvaluateAsync<int>("() => Number(document.getElementById('c-received').textContent.replace(/[^0-9]/g, ''))");
        int rows = await page.EvalOnSelectorAllAsync<int>("#events tbody tr", "rows => rows.length");
        int[] renders = await page.EvaluateAsync<int[]>("() => window.__renders");
        double[] longTasks = await page.EvaluateAsync<double[]>("() => window.__long");
        Directory.CreateDirectory(Screenshots);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "dashboard-burst.png") });
        File.WriteAllText(Path.Combine(Screenshots, "dashboard-burst.txt"), $"received {received}; rows {rows}; renders {renders.Length}, largest {(renders.Length > 0 ? renders.Max() : 0)} rows; long tasks {longTasks.Length}, longest {(longTasks.Length > 0 ? longTasks.Max() : 0):F0} ms\n");

        Assert.InRange(rows, 1, 500);
        // Responsive by construction, whatever the machine's load: events are rendered in batches, not one render per
        // event (at 2,000 events/s and four renders a second a render takes ~500 events; one per 20 is a loose bound that
        // still fails a page rendering per event), and no render builds more than the 500 rows kept. This was a
        // wall-clock check (no long task >= 500 ms); on this 2-core VM under load a browser's task reads 945 ms however
        // little it does, so it failed 1 of 10 suite runs (issue 22). Long tasks stay in the artifact above.
        Assert.NotEmpty(renders);
        Assert.True(renders.Length <= received / 20, $"{renders.Length} renders for {received} events: the page renders per event, not in batches");
        Assert.All(renders, n => Assert.InRange(n, 0, 500));
        dashboard.Signal("TERM");
        await dashboard.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task ServerRestart_PageReconnectsByItself_WithNoDuplicateRow_AndNoGap()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.LiveRate = 10);
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        string checkpoint = Path.Combine(Path.GetTempPath(), $"dashboard-{Guid.NewGuid():N}.json");
        try
        {
            string[] args = Args(simulator, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--last", "50", "--checkpoint", checkpoint, "--max-lateness", "2s");
            await using CliProcess first = CliProcess.Start(args); // killed if the test fails before it is stopped below
            string url = (await first.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;

            using IPlaywright playwright = await Playwright.CreateAsync();
            await using IBrowser browser = await LaunchAsync(playwright);
            IPage page = await browser.NewPageAsync();
            await page.GotoAsync(url);
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#events tbody tr').length >= 70", null, new() { Timeout = 30_000 });

            // A graceful stop: the feed stops first (checkpoint saved) and the page is sent everything it delivered.
            first.Signal("TERM");
            await first.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await first.DisposeAsync();
            await page.WaitForFunctionAsync("() => document.getElementById('banner').dataset.state === 'disconnected'", null, new() { Timeout = 30_000 });
            int before = await page.EvalOnSelectorAllAsync<int>("#events tbody tr", "rows => rows.length");

            // Same port, a new server resuming from the checkpoint: the page's EventSource reconnects by itself, and the
            // new server knows its Last-Event-ID (the event its feed resumed after): what came meanwhile, once.
            await using CliProcess second = CliProcess.Start(args);
            Assert.Equal(url, await second.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
            await page.WaitForFunctionAsync($"() => document.querySelectorAll('#events tbody tr').length >= {before + 40} && document.getElementById('banner').dataset.state === 'live'", null, new() { Timeout = 60_000 });

            string[] ids = await page.EvalOnSelectorAllAsync<string[]>("#events tbody tr", "rows => rows.map(r => r.dataset.eventId)");
            Assert.Equal(ids.Length, ids.Distinct().Count());
            Assert.Equal("0", await page.InnerTextAsync("#c-gaps"));
            AssertNoGap(simulator, ids);
            second.Signal("TERM");
            await second.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    // The `start` of an events query as the simulator logged it (null: none).
    private static DateTimeOffset? QueryStart(string query)
        => System.Web.HttpUtility.ParseQueryString(query)["start"] is { } start
            ? DateTimeOffset.Parse(start, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal)
            : null;

    [Fact]
    public async Task HiddenTab_StopsStreaming_AndVisibleAgainResumesWithNoGap_ViolationsFlagged()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.LiveRate = 10);
        await using CliProcess dashboard = CliProcess.Start(Args(simulator, "--last", "20", "--max-lateness", "2s"));
        string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;

        using IPlaywright playwright = await Playwright.CreateAsync();
        await using IBrowser browser = await LaunchAsync(playwright);
        IPage page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var streams = new List<string>();
        page.Request += (_, r) => { if (r.Url.Contains("/events", StringComparison.Ordinal)) { lock (streams) { streams.Add(r.Url); } } };
        await page.GotoAsync(url);
        await page.WaitForFunctionAsync("() => document.querySelectorAll('#events tbody tr').length >= 30", null, new() { Timeout = 30_000 });

        // The tab goes to the background (headless chromium never hides a page by itself: the page is told, as a browser tells it).
        await page.EvaluateAsync(Visibility(hidden: true));
        string received = await page.InnerTextAsync("#c-received");
        long atHide = simulator.EventCount;
        SimulatedEvent bad = HostileEvents.BreakingThePlan(simulator.Events, DateTimeOffset.UtcNow);
        simulator.Add(bad); // an event that breaks Intilery's plan arrives while hidden
        await Wait.UntilAsync(() => simulator.EventCount >= atHide + 30, "30 more events arrived while hidden");

        // The dashboard's feed has read them all (its head has asked for events after the newest); the hidden page took none.
        DateTimeOffset newest = simulator.Snapshot().Max(e => e.EventTime);
        await Wait.UntilAsync(() => simulator.Requests.Any(r => r.Status == 200 && QueryStart(r.Query) > newest), "the dashboard's feed read past the events added while hidden");
        Assert.Equal(received, await page.InnerTextAsync("#c-received"));

        // Visible again: one new stream from where it stopped, and the page catches up with no gap.
        await page.EvaluateAsync(Visibility(hidden: false));
        await page.WaitForFunctionAsync($"() => !!document.querySelector('#events tbody tr[data-event-id=\"{bad.EventId}\"]')", null, new() { Timeout = 30_000 });
        lock (streams)
        {
            Assert.Equal(2, streams.Count);
            Assert.Contains("lastEventId=", streams[1], StringComparison.Ordinal);
        }

        string[] ids = await page.EvalOnSelectorAllAsync<string[]>("#events tbody tr", "rows => rows.map(r => r.dataset.eventId)");
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.Equal("0", await page.InnerTextAsync("#c-gaps"));
        AssertNoGap(simulator, ids);

        // The plan violation is flagged on its row, counted, and explained in the detail view.
        string row = $"#events tbody tr[data-event-id=\"{bad.EventId}\"]";
        Assert.Contains("plan", await page.InnerTextAsync($"{row} td.violation"), StringComparison.Ordinal);
        Assert.Equal("1", await page.InnerTextAsync("#c-violations"));
        await page.ClickAsync(row);
        Assert.Contains("price", await page.InnerTextAsync("#detail ul.violations"), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Path.Combine(Screenshots, "dashboard-violation.png") });
        dashboard.Signal("TERM");
        await dashboard.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static string Visibility(bool hidden) => $$"""
        () => {
          Object.defineProperty(document, 'hidden', { value: {{(hidden ? "true" : "false")}}, configurable: true });
          Object.defineProperty(document, 'visibilityState', { value: '{{(hidden ? "hidden" : "visible")}}', configurable: true });
          document.dispatchEvent(new Event('visibilitychange'));
        }
        """;

    // Every event the simulator holds between the oldest row's and (settled) the newest row's receivedTime is a row.
    private static void AssertNoGap(IntilerySimulator simulator, string[] rowIds)
    {
        var all = simulator.Snapshot().ToDictionary(e => e.EventId);
        DateTimeOffset[] times = [.. rowIds.Select(id => all[id].ReceivedTime)];
        DateTimeOffset from = times.Min(), to = times.Max().AddSeconds(-3);
        string[] expected = [.. all.Values.Where(e => e.ReceivedTime >= from && e.ReceivedTime <= to).Select(e => e.EventId)];
        Assert.True(expected.Length >= 20, $"only {expected.Length} events to compare");
        string[] missing = [.. expected.Except(rowIds)];
        Assert.True(missing.Length == 0, $"{missing.Length} events between {from:HH:mm:ss.fff} and {to:HH:mm:ss.fff} are no row: "
            + string.Join(", ", missing.Take(5).Select(id => $"{id} received {all[id].ReceivedTime:HH:mm:ss.fff} event time {all[id].EventTime:HH:mm:ss.fff}")));
    }
}
