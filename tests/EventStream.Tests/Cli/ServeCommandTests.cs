using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Cli;

public partial class ServeCommandTests
{
    [Fact]
    public async Task Serve_FirstLineIsTheBaseUrl_ThatAnswersLikeTheApi()
    {
        await using CliProcess serve = CliProcess.Start(["serve", "--port", "0", "--backlog", "250", "--live-rate", "0", "--token", "cli-token", "--client", "acme", "--account", "main", "--brand", "ACME"]);

        string? baseUrl = await serve.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(baseUrl);
        Assert.Matches("^http://127\\.0\\.0\\.1:[0-9]+/track/$", baseUrl);

        using var http = new HttpClient();
        using HttpResponseMessage response = await GetAsync(http, baseUrl + "acme/main/ACME/v1/events?size=100&sort=asc", "cli-token");
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(250, body.RootElement.GetProperty("total").GetInt64());
        Assert.Equal(100, body.RootElement.GetProperty("data").GetArrayLength());
        Assert.Equal("acme", body.RootElement.GetProperty("data")[0].GetProperty("clientId").GetString());
    }

    [Fact]
    public async Task Serve_SigTerm_StopsCleanlyWithExitCodeZero()
    {
        await using CliProcess serve = CliProcess.Start(["serve", "--live-rate", "0", "--backlog", "0"]);
        Assert.NotNull(await serve.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));

        serve.Signal("TERM");
        await serve.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, serve.Process.ExitCode);
    }

    [Fact]
    public async Task Serve_StatusLines_CountTheRequestsAndThe429s_AndAddUpToTheTotals()
    {
        await using CliProcess serve = CliProcess.Start(["serve", "--live-rate", "0", "--backlog", "10", "--token", "t", "--rate-limit", "2", "--burst", "3", "--status-every", "500ms"]);
        string baseUrl = (await serve.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
        var lines = new List<string>();
        Task reading = Task.Run(async () =>
        {
            while (await serve.Error.ReadLineAsync() is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            }
        });

        using var http = new HttpClient();
        HttpStatusCode[] answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            using HttpResponseMessage response = await GetAsync(http, baseUrl + "demo/demo/DEMO/v1/events?size=10&sort=asc", "t");
            return response.StatusCode;
        }));
        int limited = answers.Count(a => a == HttpStatusCode.TooManyRequests);
        Assert.InRange(limited, 1, 9); // a burst of 3 (and what refills meanwhile) answered, the rest refused
        Assert.Equal(12 - limited, answers.Count(a => a == HttpStatusCode.OK));

        string totals = $"12 requests, {limited} answered 429 since start";
        await Wait.UntilAsync(() => { lock (lines) { return lines.Any(l => l.Contains(totals, StringComparison.Ordinal)); } }, $"a status line saying '{totals}'");
        serve.Signal("TERM");
        await serve.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await reading.WaitAsync(TimeSpan.FromSeconds(10));

        // However the burst fell across the intervals, the lines' own counts add up to what was asked and refused.
        var status = lines.Select(l => StatusLine().Match(l)).Where(m => m.Success).ToList();
        Assert.Equal(12, status.Sum(m => int.Parse(m.Groups["requests"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture)));
        Assert.Equal(limited, status.Sum(m => int.Parse(m.Groups["limited"].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture)));
        Assert.All(status, m => Assert.Contains("limit 2/s burst 3 a token", m.Value, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("Served 12 requests, " + limited + " answered 429", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("auth-token", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(0, serve.Process.ExitCode);
    }

    [Fact]
    public async Task Serve_StatusEveryZero_PrintsNoStatusLine()
    {
        await using CliProcess serve = CliProcess.Start(["serve", "--live-rate", "0", "--backlog", "0", "--status-every", "0s"]);
        Assert.NotNull(await serve.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)));
        await Task.Delay(TimeSpan.FromSeconds(1)); // a line every 0 s would have printed many by now
        serve.Signal("TERM");
        await serve.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

        string error = await serve.Error.ReadToEndAsync();
        Assert.DoesNotContain("eventstream serve:", error, StringComparison.Ordinal);
        Assert.Contains("Served 0 requests", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("serve", "--port", "abc")]
    [InlineData("serve", "--max-late", "soon")]
    [InlineData("serve", "--late-share", "2")]
    [InlineData("serve", "--port", "70000")]
    [InlineData("serve", "--no-such-option")]
    [InlineData("serve", "--retention", "0s")]
    [InlineData("serve", "--retention", "soon")]
    [InlineData("serve", "--max-events", "0")]
    [InlineData("no-such-command")]
    public async Task BadArguments_PrintUsageAndExit2(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();

        int exitCode = await EventStream.Cli.Program.RunAsync(args, output, error);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output.ToString());
        Assert.Contains("Usage", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadArguments_RealProcess_Exit2WithUsageOnStderr()
    {
        (int exitCode, string output, string error) = await CliProcess.RunAsync(["serve", "--port", "abc"]);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains("--port", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--retention", "0s")]
    [InlineData("--max-events", "-5")]
    public async Task BadRetention_UsageNamesTheOption(string option, string value)
    {
        var error = new StringWriter();

        int exitCode = await EventStream.Cli.Program.RunAsync(["serve", option, value], new StringWriter(), error);

        Assert.Equal(2, exitCode);
        Assert.Contains($"eventstream serve: {option}:", error.ToString(), StringComparison.Ordinal);
    }

    // A GET as the API wants it: the token, and a content-type (on an empty body, the only place .NET allows it).
    private static async Task<HttpResponseMessage> GetAsync(HttpClient http, string url, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("auth-token", token);
        request.Content = new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        return await http.SendAsync(request);
    }

    [System.Text.RegularExpressions.GeneratedRegex("^eventstream serve: (?<requests>[0-9,]+) requests in .*\\), (?<limited>[0-9,]+) answered 429; ")]
    private static partial System.Text.RegularExpressions.Regex StatusLine();
}
