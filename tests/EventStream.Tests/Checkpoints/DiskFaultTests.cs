using System.Diagnostics;
using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Checkpoints;

/// <summary>
/// A checkpoint save that fails on a real file system (a read-only mount, a full disk) is logged and counted, leaves
/// the previous checkpoint byte for byte, and is retried; delivery goes on meanwhile (decided: a daemon keeps serving
/// its consumers rather than stop on a disk fault; the crash-repeat bound is suspended until a save succeeds).
/// </summary>
public sealed class DiskFaultTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
    private readonly string _mount = Path.Combine(Path.GetTempPath(), $"eventstream-disk-{Guid.NewGuid():N}");

    public DiskFaultTests()
    {
        Directory.CreateDirectory(_mount);
        Run("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", _mount); // a small real file system of our own (tests run as root)
    }

    public void Dispose()
    {
        Run("umount", "-l", _mount);
        Directory.Delete(_mount, recursive: true);
    }

    [Fact]
    public async Task ReadOnlyFileSystem_SaveFails_PreviousCheckpointIntact_DeliveryGoesOn()
    {
        string path = Path.Combine(_mount, "feed.json");
        var time = new FakeTimeProvider(T0.AddHours(1));
        var api = new InMemoryApi(time);
        var first = Enumerable.Range(0, 2_000).Select(i => api.Add(T0.AddMilliseconds(i * 3))).ToList();
        Assert.Equal(first.Select(e => e.EventId), await RunAsync(api, path, new CapturingLogger(), stopWhenCaughtUp: true));
        byte[] saved = File.ReadAllBytes(path);

        var second = Enumerable.Range(0, 3_000).Select(i => api.Add(T0.AddSeconds(10).AddMilliseconds(i * 3))).ToList();
        Run("mount", "-o", "remount,ro", _mount);
        var logger = new CapturingLogger();
        (List<string> delivered, FeedCounters counters) = await RunWithCountersAsync(api, path, logger, stopWhenCaughtUp: true);

        Assert.Equal(second.Select(e => e.EventId), delivered); // every new event, once: the feed went on
        Assert.True(counters.CheckpointSaveFailures >= 1);
        Assert.Contains(logger.Lines, l => l.StartsWith("Warning: checkpoint not saved (", StringComparison.Ordinal) && l.Contains("Read-only file system", StringComparison.Ordinal));
        Assert.Equal(saved, File.ReadAllBytes(path));
    }

    [Fact]
    public async Task FullDisk_SaveFails_NoTempFileLeft_ThenSavesAgainOnceThereIsRoom()
    {
        string path = Path.Combine(_mount, "feed.json");
        var time = new FakeTimeProvider(T0.AddHours(1));
        var api = new InMemoryApi(time);
        Assert.Equal(1_000, Enumerable.Range(0, 1_000).Select(i => api.Add(T0.AddMilliseconds(i * 3))).Count());
        await RunAsync(api, path, new CapturingLogger(), stopWhenCaughtUp: true);
        byte[] saved = File.ReadAllBytes(path);

        string filler = Path.Combine(_mount, "filler");
        Fill(filler);
        var more = Enumerable.Range(0, 3_000).Select(i => api.Add(T0.AddSeconds(10).AddMilliseconds(i * 3))).ToList();
        var logger = new CapturingLogger();
        await using var feed = new EventFeed(api, new FeedOptions { Start = FeedStart.Beginning, TimeProvider = time, CheckpointStore = new FileCheckpointStore(path), Logger = logger }, null);
        var delivered = new List<string>();
        using var stop = new CancellationTokenSource();
        Task reading = Task.Run(async () =>
        {
            await foreach (IntileryEvent e in feed.ReadAllAsync(stop.Token))
            {
                delivered.Add(e.EventId);
            }
        });

        await Until(time, () => delivered.Count == more.Count && feed.Counters.CheckpointSaveFailures >= 1, () => $"{delivered.Count} delivered, {feed.Counters}");
        Assert.Contains(logger.Lines, l => l.StartsWith("Warning: checkpoint not saved (", StringComparison.Ordinal) && l.Contains("No space left on device", StringComparison.Ordinal));
        Assert.Equal(saved, File.ReadAllBytes(path));
        Assert.Equal(["feed.json", "filler"], Directory.GetFiles(_mount).Select(Path.GetFileName).Order());

        File.Delete(filler); // room again: the saver's next try (with backoff, on the feed's clock) succeeds
        long before = feed.Counters.CheckpointsSaved;
        await Until(time, () => feed.Counters.CheckpointsSaved > before, () => $"{feed.Counters}");
        Assert.Contains(logger.Lines, l => l.StartsWith("Information: checkpoint saved again after ", StringComparison.Ordinal));
        FeedCheckpoint? now = await new FileCheckpointStore(path).LoadAsync(CancellationToken.None);
        Assert.NotNull(now);
        Assert.NotEqual(saved, File.ReadAllBytes(path));
        Assert.Equal(more.Select(e => e.EventId), delivered);
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);
    }

    private static async Task Until(FakeTimeProvider time, Func<bool> condition, Func<string> state)
    {
        for (int i = 0; i < 3_000 && !condition(); i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(2);
        }

        Assert.True(condition(), "condition not reached: " + state());
    }

    private static async Task<List<string>> RunAsync(InMemoryApi api, string path, CapturingLogger logger, bool stopWhenCaughtUp)
        => (await RunWithCountersAsync(api, path, logger, stopWhenCaughtUp)).Delivered;

    private static async Task<(List<string> Delivered, FeedCounters Counters)> RunWithCountersAsync(InMemoryApi api, string path, CapturingLogger logger, bool stopWhenCaughtUp)
    {
        await using var feed = new EventFeed(api, new FeedOptions { Start = FeedStart.Beginning, TimeProvider = api.Time, CheckpointStore = new FileCheckpointStore(path), Logger = logger, MaxLateness = TimeSpan.FromSeconds(1) }, null)
        {
            StopWhenCaughtUp = stopWhenCaughtUp,
        };
        List<IntileryEvent> events = await Operation.PoisonTests.ReadAllAsync(feed, api.Time);
        await feed.DisposeAsync();
        return ([.. events.Select(e => e.EventId)], feed.Counters);
    }

    // Fills the file system to the last byte (big chunks, then smaller ones).
    private static void Fill(string path)
    {
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1);
        foreach (int size in new[] { 64 * 1024, 4096, 1 })
        {
            byte[] chunk = new byte[size];
            try
            {
                while (true)
                {
                    stream.Write(chunk);
                    stream.Flush();
                }
            }
            catch (IOException)
            {
                // full at this chunk size
            }
        }
    }

    private static void Run(string file, params string[] args)
    {
        using Process process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} failed ({process.ExitCode}): {error} — these tests need root to mount a tmpfs");
    }
}
