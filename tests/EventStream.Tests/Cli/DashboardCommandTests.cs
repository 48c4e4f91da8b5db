using System.Text.Json;
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

    [Theory]
    [InlineData("--listen", "not-an-address")]
    [InlineData("--port", "70000")]
    public async Task BadArguments_PrintUsageAndExit2(string option, string value)
    {
        (int exitCode, string output, string error) = await CliProcess.RunAsync(["dashboard", "--demo", option, value]);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains(option, error, StringComparison.Ordinal);
    }
}
