using System.Reactive.Linq;
using System.Text.RegularExpressions;
using EventStream.Api;
using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Operators;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace EventStream.Tests;

/// <summary>The README's code, compiled and run here; the test fails if the README's copy drifts from this one.</summary>
public class ReadmeExamplesTests
{
    private static async Task RxPipelineAsync(EventsApiOptions api, TextWriter console, CancellationToken cancellationToken)
    {
        #region README: rx
        await using var feed = new EventFeed(api, new FeedOptions { Start = FeedStart.Latest(100) });
        using IDisposable orders = feed
            .WhereAction("order_completed")
            .ReorderByEventTime(TimeSpan.FromSeconds(2))
            .Subscribe(e => console.WriteLine($"{e.EventTime:HH:mm:ss} {e.Email} ordered"));
        #endregion
        await Task.Delay(Timeout.Infinite, cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    private static async Task AsyncLoopAsync(EventsApiOptions api, string checkpointFile, TextWriter console, CancellationToken cancellationToken)
    {
        #region README: foreach
        await using var feed = new EventFeed(api, new FeedOptions
        {
            Start = FeedStart.Beginning,
            CheckpointStore = new FileCheckpointStore(checkpointFile), // resume here next time
        });
        await foreach (IntileryEvent e in feed.ReadAllAsync(cancellationToken))
        {
            console.WriteLine($"{(e.IsLate ? "late " : "")}{e.EventTime:O} {e.EventAction} {e.EventId}");
        }
        #endregion
    }

    [Fact]
    public async Task ReadmeExamples_RunAgainstTheSimulator()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        IReadOnlyList<SimulatedEvent> events = simulator.AddBacklog(300, now.AddMinutes(-30), now.AddMinutes(-20));
        EventsApiOptions api = Loopback.OptionsFor(simulator);
        string checkpoint = Path.Combine(Path.GetTempPath(), $"readme-{Guid.NewGuid():N}.json");

        var rxOut = new StringWriter();
        TextWriter rxConsole = TextWriter.Synchronized(rxOut);
        using (var cts = new CancellationTokenSource())
        {
            Task rx = RxPipelineAsync(api, rxConsole, cts.Token);
            int expectedOrders = events.OrderBy(e => e.EventTime).TakeLast(100).Count(e => e.Action == "order_completed");
            await WaitUntilAsync(() => Lines(rxConsole, rxOut) >= expectedOrders && expectedOrders > 0);
            await cts.CancelAsync();
            await rx;
            Assert.Equal(expectedOrders, Lines(rxConsole, rxOut));
        }

        var loopOut = new StringWriter();
        TextWriter loopConsole = TextWriter.Synchronized(loopOut);
        using (var cts = new CancellationTokenSource())
        {
            Task loop = AsyncLoopAsync(api, checkpoint, loopConsole, cts.Token);
            await WaitUntilAsync(() => Lines(loopConsole, loopOut) >= 300);
            await cts.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => loop);
            Assert.Equal(300, Lines(loopConsole, loopOut));
            Assert.True(File.Exists(checkpoint));
            File.Delete(checkpoint);
        }
    }

    [Theory]
    [InlineData("rx", "tests/EventStream.Tests/ReadmeExamplesTests.cs")]
    [InlineData("foreach", "tests/EventStream.Tests/ReadmeExamplesTests.cs")]
    [InlineData("typed", "tests/EventStream.TypedEvents.Tests/ReadmeTypedExampleTests.cs")]
    [InlineData("aspnetcore", "tests/EventStream.Tests/AspNetCore/HostingTests.cs")]
    [InlineData("dashboard-auth", "tests/EventStream.Tests/AspNetCore/DashboardAuthorizationTests.cs")]
    public void Readme_ShowsTheCompiledExample(string name, string file)
    {
        string root = TestData.RepoRoot();
        string source = File.ReadAllText(Path.Combine(root, file));
        string readme = File.ReadAllText(Path.Combine(root, "README.md")).Replace("\r\n", "\n", StringComparison.Ordinal);

        Assert.Contains(RegionText(name, source), readme, StringComparison.Ordinal);
    }

    // What `dotnet new web` (Microsoft.NET.Sdk.Web, ImplicitUsings) puts in scope: a snippet that needs more says so itself.
    private const string WebSdkGlobalUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.IO;
        global using System.Linq;
        global using System.Net.Http;
        global using System.Net.Http.Json;
        global using System.Threading;
        global using System.Threading.Tasks;
        global using Microsoft.AspNetCore.Builder;
        global using Microsoft.AspNetCore.Hosting;
        global using Microsoft.AspNetCore.Http;
        global using Microsoft.AspNetCore.Routing;
        global using Microsoft.Extensions.Configuration;
        global using Microsoft.Extensions.DependencyInjection;
        global using Microsoft.Extensions.Hosting;
        global using Microsoft.Extensions.Logging;
        """;

    /// <summary>
    /// The README's ASP.NET Core programs (the C# blocks that begin with <c>using</c>) compile as pasted into a new web app's
    /// Program.cs — their <c>using</c> lines included — and hold the regions the tests run.
    /// </summary>
    [Theory]
    [InlineData("aspnetcore")]
    [InlineData("dashboard-auth")]
    public void Readme_AspNetCoreProgram_CompilesAsPasted_WithItsUsings(string region)
    {
        string root = TestData.RepoRoot();
        string readme = File.ReadAllText(Path.Combine(root, "README.md")).Replace("\r\n", "\n", StringComparison.Ordinal);
        string[] programs = [.. Regex.Matches(readme, "```csharp\n(using .*?\n)```", RegexOptions.Singleline).Select(m => m.Groups[1].Value)];
        string snippet = RegionText(region, File.ReadAllText(Path.Combine(root, "tests/EventStream.Tests", region == "aspnetcore" ? "AspNetCore/HostingTests.cs" : "AspNetCore/DashboardAuthorizationTests.cs")));
        string program = Assert.Single(programs, p => p.Contains(snippet, StringComparison.Ordinal));

        Assert.Empty(CompileErrors(program));
        // The check can fail: without its using lines the same program does not compile (CS1061: no AddEventFeed ...).
        Assert.NotEmpty(CompileErrors(string.Join('\n', program.Split('\n').Where(l => !l.StartsWith("using ", StringComparison.Ordinal)))));
    }

    private static string[] CompileErrors(string program)
    {
        string[] assemblies = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        var compilation = CSharpCompilation.Create(
            "ReadmeProgram",
            [CSharpSyntaxTree.ParseText(WebSdkGlobalUsings), CSharpSyntaxTree.ParseText(program)],
            assemblies.Where(a => a.EndsWith(".dll", StringComparison.Ordinal)).Select(a => MetadataReference.CreateFromFile(a)),
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));
        return [.. compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString())];
    }

    private static string RegionText(string name, string source)
    {
        string start = $"#region README: {name}\n";
        source = source.Replace("\r\n", "\n", StringComparison.Ordinal);
        int from = source.IndexOf(start, StringComparison.Ordinal) + start.Length;
        int to = source.IndexOf("#endregion", from, StringComparison.Ordinal);
        string[] lines = source[from..to].TrimEnd().Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        return string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    // TextWriter.Synchronized locks the wrapper for each write; take the same lock to read.
    private static int Lines(TextWriter synchronizedWriter, StringWriter inner)
    {
        lock (synchronizedWriter)
        {
            return inner.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
