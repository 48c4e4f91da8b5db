using System.Diagnostics;
using System.Globalization;

namespace EventStream.Benchmarks;

/// <summary>
/// <c>eventstream serve</c> in its own process, so that the client's CPU time and memory are measured alone.
/// </summary>
public sealed class SimulatorProcess : IDisposable
{
    private readonly Process _process;

    private SimulatorProcess(Process process, Uri baseUrl, string token)
    {
        _process = process;
        BaseUrl = baseUrl;
        Token = token;
    }

    /// <summary>The server's base URL (the part before <c>{clientId}</c>).</summary>
    public Uri BaseUrl { get; }

    /// <summary>The token it accepts.</summary>
    public string Token { get; }

    /// <summary>A bare Events API request as a user would write it: <c>auth-token</c> and <c>content-type: application/json</c>.</summary>
    /// <param name="pathAndQuery">The part after the base URL, e.g. <c>demo/demo/DEMO/v1/events?size=100</c>.</param>
    /// <returns>The request.</returns>
    public HttpRequestMessage NewRequest(string pathAndQuery)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseUrl, pathAndQuery));
        request.Headers.Add("auth-token", Token);
        request.Content = new ByteArrayContent([]) { Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") } };
        return request;
    }

    /// <summary>Starts a server with a settled backlog of <paramref name="backlog"/> events (the hour that ended an hour ago) and no live traffic.</summary>
    /// <param name="backlog">Events in the backlog.</param>
    /// <param name="requestsPerSecond">The server's rate limit per token (0: off).</param>
    /// <param name="burst">The server's token bucket burst.</param>
    /// <param name="gzip">Whether the server compresses pages for clients that accept gzip.</param>
    /// <param name="liveRate">Live events per second (none by default).</param>
    /// <param name="brands">Brands served (<c>--brands</c>; brand N accepts the token <c>-N</c>).</param>
    /// <param name="sharedToken">Whether every brand accepts the one token (<c>--shared-token</c>).</param>
    /// <returns>The running server.</returns>
    public static SimulatorProcess Start(int backlog, double requestsPerSecond, int burst, bool gzip = false, double liveRate = 0, int brands = 1, bool sharedToken = false)
    {
        string token = "bench-" + Guid.NewGuid().ToString("N");
        ProcessStartInfo info = CliStartInfo();
        foreach (string arg in new[]
        {
            "serve", "--port", "0", "--token", token, "--backlog", backlog.ToString(CultureInfo.InvariantCulture),
            "--backlog-age", "1h", "--live-rate", liveRate.ToString(CultureInfo.InvariantCulture), "--late-share", "0", "--seed", "7",
            "--rate-limit", requestsPerSecond.ToString(CultureInfo.InvariantCulture), "--burst", burst.ToString(CultureInfo.InvariantCulture),
            "--brands", brands.ToString(CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(arg);
        }

        if (gzip)
        {
            info.ArgumentList.Add("--gzip");
        }

        if (sharedToken)
        {
            info.ArgumentList.Add("--shared-token");
        }

        Process process = Process.Start(info)!;
        string? first = process.StandardOutput.ReadLine();
        if (first is null || !Uri.TryCreate(first.Trim(), UriKind.Absolute, out Uri? baseUrl))
        {
            string error = process.StandardError.ReadToEnd();
            process.Kill();
            throw new InvalidOperationException($"eventstream serve did not start: {first} {error}");
        }

        process.ErrorDataReceived += static (_, _) => { };
        process.BeginErrorReadLine();
        return new SimulatorProcess(process, baseUrl, token);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    /// <summary>The CLI (<c>dotnet EventStream.Cli.dll</c>) with its output redirected; add its arguments.</summary>
    /// <returns>The start info.</returns>
    internal static ProcessStartInfo CliStartInfo()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(CliPath());
        return info;
    }

    // The CLI's build output: beside this assembly when referenced, else in the repository's build folders.
    private static string CliPath()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "EventStream.Cli.dll");
        if (File.Exists(beside) && File.Exists(Path.ChangeExtension(beside, ".runtimeconfig.json")))
        {
            return beside;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (string configuration in new[] { "Release", "Debug" })
            {
                string candidate = Path.Combine(dir.FullName, "src", "EventStream.Cli", "bin", configuration, "net10.0", "EventStream.Cli.dll");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException("EventStream.Cli.dll not found; build the solution first.");
    }
}
