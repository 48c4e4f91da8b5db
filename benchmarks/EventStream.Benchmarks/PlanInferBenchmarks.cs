using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using EventStream.Cli.Plans;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Typed;

namespace EventStream.Benchmarks;

/// <summary>
/// <c>eventstream plan infer</c> and <c>plan check</c> over 1,000,000 events (the simulator's traffic: 100,000 distinct events,
/// read ten times per operation), one thread. Baseline: the raw <see cref="Utf8JsonReader"/> token scan of the same lines.
/// The target (issue 19): inference at ≥ 200,000 events/s; check at the typed decoder's speed.
/// </summary>
[MemoryDiagnoser]
public class PlanInferBenchmarks
{
    private byte[] _ndjson = [];
    private (int Start, int Length)[] _lines = [];
    private string _plan = string.Empty;

    /// <summary>CI's smoke run: 1,000 events read once.</summary>
    public static bool Quick { get; set; }

    private int Distinct => Quick ? 1_000 : 100_000;

    private int Rounds => Quick ? 1 : 10;

    [GlobalSetup]
    public void Setup()
    {
        IntilerySimulator simulator = IntilerySimulator.StartAsync(new SimulatorOptions { Token = "bench", Seed = 7, BurstShare = 0, MaxEvents = 200_000 }).GetAwaiter().GetResult();
        try
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            var text = new MemoryStream();
            var lines = new List<(int, int)>();
            foreach (SimulatedEvent e in simulator.AddBacklog(Distinct, now.AddDays(-2), now.AddDays(-1)).OrderBy(e => e.EventTime))
            {
                lines.Add(((int)text.Length, e.Json.Length));
                text.Write(e.Json);
                text.WriteByte((byte)'\n');
            }

            _ndjson = text.ToArray();
            _lines = [.. lines];
        }
        finally
        {
            simulator.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        var inference = new PlanInference();
        foreach ((int start, int length) in _lines)
        {
            inference.Add(_ndjson.AsSpan(start, length));
        }

        _plan = inference.ToIntileryPlan().ToJsonString();
    }

    [Benchmark(Baseline = true, Description = "raw Utf8JsonReader scan")]
    public int RawScan()
    {
        int tokens = 0;
        for (int round = 0; round < Rounds; round++)
        {
            foreach ((int start, int length) in _lines)
            {
                var reader = new Utf8JsonReader(_ndjson.AsSpan(start, length));
                while (reader.Read())
                {
                    tokens++;
                }
            }
        }

        return tokens;
    }

    [Benchmark(Description = "plan infer")]
    public long Infer()
    {
        var inference = new PlanInference();
        for (int round = 0; round < Rounds; round++)
        {
            foreach ((int start, int length) in _lines)
            {
                inference.Add(_ndjson.AsSpan(start, length));
            }
        }

        return inference.Events + inference.Properties;
    }

    [Benchmark(Description = "plan infer, lines split from a stream")]
    public async Task<long> InferFromStream()
    {
        var inference = new PlanInference();
        for (int round = 0; round < Rounds; round++)
        {
            await NdjsonLines.ReadAsync(new MemoryStream(_ndjson, writable: false), inference.Add, null, CancellationToken.None);
        }

        return inference.Events;
    }

    [Benchmark(Description = "plan check")]
    public long Check()
    {
        PlanCheck check = PlanCheck.FromPlan(_plan);
        for (int round = 0; round < Rounds; round++)
        {
            foreach ((int start, int length) in _lines)
            {
                check.Add(_ndjson.AsSpan(start, length));
            }
        }

        return check.Events + 1;
    }

    [Benchmark(Description = "typed decode (IntileryEvents catalog)")]
    public int TypedDecode()
    {
        int n = 0;
        for (int round = 0; round < Rounds; round++)
        {
            n += NdjsonEvents.Read(_ndjson, IntileryEvents.Catalog).Count;
        }

        return n;
    }
}
