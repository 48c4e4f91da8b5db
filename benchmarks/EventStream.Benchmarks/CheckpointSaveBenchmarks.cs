using BenchmarkDotNet.Attributes;
using EventStream.Checkpoints;

namespace EventStream.Benchmarks;

/// <summary>
/// What a checkpoint save costs (the feed saves every 500-1,000 events and every 5 s): the file store's write to a temp
/// file, fsync and rename, against keeping it in memory. <see cref="Seen"/> is the ids a live feed holds (about
/// MaxLateness + a slice of events: 100/s x 37.5 s = 3,750).
/// </summary>
[MemoryDiagnoser]
public class CheckpointSaveBenchmarks
{
    private readonly InMemoryCheckpointStore _memory = new();
    private FileCheckpointStore _file = null!;
    private string _directory = "";
    private FeedCheckpoint _checkpoint = null!;

    [Params(100, 4_000)]
    public int Seen { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _directory = Directory.CreateTempSubdirectory("eventstream-bench-").FullName;
        _file = new FileCheckpointStore(Path.Combine(_directory, "feed.json"));
        DateTimeOffset t = DateTimeOffset.UtcNow;
        SeenEvent[] seen = [.. Enumerable.Range(0, Seen).Select(i => new SeenEvent(Guid.NewGuid().ToString(), t.AddMilliseconds(i * 10)))];
        _checkpoint = new FeedCheckpoint(t, t.AddSeconds(-30), t, seen, "include=;exclude=");
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Baseline = true, Description = "in memory")]
    public ValueTask InMemory() => _memory.SaveAsync(_checkpoint, CancellationToken.None);

    [Benchmark(Description = "file: write, fsync, rename")]
    public ValueTask File() => _file.SaveAsync(_checkpoint, CancellationToken.None);
}
