using System.Diagnostics;
using System.Net.Http;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Packaging;

/// <summary>
/// Native AOT as a user gets it: the natural command (<c>dotnet publish src/EventStream.Cli -c Release -r linux-x64
/// -p:PublishAot=true</c>) with no warning, and the native CLI's <c>tail --demo</c> and <c>dashboard --demo</c> working;
/// and tests/EventStream.AotTest (every library rooted whole, warnings as errors) published and run. Both publishes run
/// once, in the fixture. The two publishes take minutes of both cores, so these run by an explicit command, `bash
/// .ci/native` (it installs clang and zlib's headers when missing); in the default suite they show as skipped.
/// </summary>
public sealed class NativeAotTests(NativeAotTests.Published published) : IClassFixture<NativeAotTests.Published>
{
    [NativeFact]
    public void Publish_TheNaturalCommand_HasNoTrimOrAotWarning_AndTheBinaryIsSmall()
    {
        Assert.DoesNotMatch(@"warning (IL|NETSDK)\d+", published.CliLog);
        long size = new FileInfo(published.Cli).Length;
        Assert.True(size <= 30 * 1024 * 1024, $"native eventstream is {size / 1024 / 1024} MB");
    }

    [NativeFact]
    public async Task AotTestApp_EveryLibraryRootedWithWarningsAsErrors_Runs()
    {
        var info = new ProcessStartInfo(published.AotTest) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using Process process = Process.Start(info)!;
        try
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
            string text = await output + await error;
            Assert.True(process.ExitCode == 0, text);
            Assert.Contains("ok: feed: 100 events", text, StringComparison.Ordinal);
            Assert.Contains("ok: sse: a status and an event", text, StringComparison.Ordinal);
            Assert.Contains("ok: webhooks: ", text, StringComparison.Ordinal);
            Assert.Contains("aot: all ok", text, StringComparison.Ordinal);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [NativeFact]
    public async Task NativeTail_Demo_PrintsEvents_AndStopsCleanlyOnSigTerm()
    {
        await using CliProcess tail = CliProcess.Start(["tail", "--demo", "--format", "ndjson"], executable: published.Cli);
        var stopwatch = Stopwatch.StartNew();
        string? first = await tail.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
        TimeSpan toFirst = stopwatch.Elapsed;
        Assert.NotNull(first);
        Assert.StartsWith("{", first, StringComparison.Ordinal);
        Assert.Contains("\"eventId\"", first, StringComparison.Ordinal);
        string artifacts = Directory.CreateDirectory(Path.Combine(TestData.RepoRoot(), ".ci", "out")).FullName;
        File.AppendAllText(Path.Combine(artifacts, "native.txt"), $"native tail --demo: first event after {toFirst.TotalMilliseconds:F0} ms\n");

        tail.Signal("TERM");
        Task<string> rest = tail.Output.ReadToEndAsync();
        await tail.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await rest;
        Assert.Equal(0, tail.Process.ExitCode);
    }

    [NativeFact]
    public async Task NativeDashboard_Demo_ServesThePageAndTheStream()
    {
        await using CliProcess dashboard = CliProcess.Start(["dashboard", "--demo"], executable: published.Cli);
        string url = (await dashboard.Output.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60)))!;
        Assert.StartsWith("http://127.0.0.1:", url, StringComparison.Ordinal);

        using var handler = new HttpClientHandler { UseCookies = true, CookieContainer = new System.Net.CookieContainer() };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        string page = await http.GetStringAsync(new Uri(url));
        Assert.Contains("<table", page, StringComparison.Ordinal);

        var events = new Uri(new Uri(url), "events");
        using var request = new HttpRequestMessage(HttpMethod.Get, events);
        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        bool status = false, data = false;
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while ((!status || !data) && await reader.ReadLineAsync(cts.Token) is { } line)
        {
            status |= line == "event: status";
            data |= line.StartsWith("data: {", StringComparison.Ordinal) && line.Contains("\"eventAction\"", StringComparison.Ordinal);
        }

        Assert.True(status && data, $"status {status}, an event {data}");
        dashboard.Signal("TERM");
        await dashboard.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, dashboard.Process.ExitCode);
    }

    /// <summary>Both native builds, published once for the class into a temporary folder (removed afterwards).</summary>
    public sealed class Published : IAsyncLifetime
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), $"native-{Guid.NewGuid():N}");

#if DEBUG
        private const string Configuration = "Debug";
#else
        private const string Configuration = "Release";
#endif

        public string Cli => Path.Combine(_root, "cli", "EventStream.Cli");

        public string AotTest => Path.Combine(_root, "aottest", "EventStream.AotTest");

        public string CliLog { get; private set; } = "";

        public async Task InitializeAsync()
        {
            if (!NativeFactAttribute.Enabled)
            {
                return; // the tests are skipped: xunit still builds a skipped class's fixture, and the publishes took 90 s of the suite
            }

            // Debian may install clang as clang-14 only: the AOT compiler is told its name then.
            string linker = File.Exists("/usr/bin/clang") ? "clang" : Path.GetFileName(RequiredTool.Find("clang-14", "clang"));
            string repo = TestData.RepoRoot();
            CliLog = await PublishAsync(repo, "src/EventStream.Cli", Path.Combine(_root, "cli"), "-p:PublishAot=true", $"-p:CppCompilerAndLinker={linker}");
            await PublishAsync(repo, "tests/EventStream.AotTest", Path.Combine(_root, "aottest"), $"-p:CppCompilerAndLinker={linker}");
        }

        public Task DisposeAsync()
        {
            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (IOException)
            {
            }

            return Task.CompletedTask;
        }

        private static async Task<string> PublishAsync(string repo, string project, string output, params string[] extra)
        {
            var info = new ProcessStartInfo("dotnet") { WorkingDirectory = repo, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string arg in (string[])["publish", project, "-c", Configuration, "-r", "linux-x64", "-o", output, "-nodeReuse:false", .. extra])
            {
                info.ArgumentList.Add(arg);
            }

            info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            info.Environment["DOTNET_NOLOGO"] = "1";
            using Process process = Process.Start(info)!;
            try
            {
                Task<string> stdout = process.StandardOutput.ReadToEndAsync();
                Task<string> stderr = process.StandardError.ReadToEndAsync();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(15));
                string text = await stdout + await stderr;
                Assert.True(process.ExitCode == 0, $"dotnet publish {project} exited {process.ExitCode}:\n{text}");
                return text;
            }
            finally
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                }
            }
        }
    }
}

/// <summary>A test of the native builds: skipped (and said so) unless EVENTSTREAM_NATIVE_TESTS=1, which `.ci/native` sets.</summary>
internal sealed class NativeFactAttribute : FactAttribute
{
    public static bool Enabled => Environment.GetEnvironmentVariable("EVENTSTREAM_NATIVE_TESTS") == "1";

    public NativeFactAttribute()
    {
        if (!Enabled)
        {
            Skip = "Native AOT publishes take minutes: run `bash .ci/native`";
        }
    }
}
