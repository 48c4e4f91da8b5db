using System.Reactive.Linq;
using EventStream.Api;
using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Operators;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;

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
    public void Readme_ShowsTheCompiledExample(string name, string file)
    {
        string root = TestData.RepoRoot();
        string source = File.ReadAllText(Path.Combine(root, file));
        string readme = File.ReadAllText(Path.Combine(root, "README.md")).Replace("\r\n", "\n", StringComparison.Ordinal);

        string start = $"#region README: {name}\n";
        int from = source.IndexOf(start, StringComparison.Ordinal) + start.Length;
        int to = source.IndexOf("#endregion", from, StringComparison.Ordinal);
        string[] lines = source[from..to].Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd().Split('\n');
        int indent = lines.Where(l => l.Trim().Length > 0).Min(l => l.Length - l.TrimStart().Length);
        string snippet = string.Join('\n', lines.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));

        Assert.Contains(snippet, readme, StringComparison.Ordinal);
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
