using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Cli;

public class ServeCommandTests
{
    [Fact]
    public async Task Serve_FirstLineIsTheBaseUrl_ThatAnswersLikeTheApi()
    {
        await using CliProcess serve = CliProcess.Start(["serve", "--port", "0", "--backlog", "250", "--live-rate", "0", "--token", "cli-token", "--client", "acme", "--account", "main", "--brand", "ACME"]);

        string? baseUrl = await serve.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(baseUrl);
        Assert.Matches("^http://127\\.0\\.0\\.1:[0-9]+/track/$", baseUrl);

        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, baseUrl + "acme/main/ACME/v1/events?size=100&sort=asc");
        request.Headers.Add("auth-token", "cli-token");
        request.Content = new ByteArrayContent([]) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        using HttpResponseMessage response = await http.SendAsync(request);
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
}
