using System.Reactive.Linq;
using System.Reactive.Subjects;
using BenchmarkDotNet.Attributes;
using EventStream.Operators;
using EventStream.Parsing;

namespace EventStream.Benchmarks;

/// <summary>
/// Per-event cost of a client-side pipeline over a hot Subject: the library's bounded dedupe + reorder + action filter,
/// against System.Reactive's Distinct + Where (whose key set grows without bound).
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    public const int Events = 100_000;
    private IntileryEvent[] _events = [];

    [GlobalSetup]
    public void Setup()
    {
        // Events 1 ms apart with up to 50 ms of disorder; every fourth repeats the one before (as feed overlaps would).
        var generator = new EventStream.Simulator.SyntheticEvents(seed: 7);
        var t0 = new DateTimeOffset(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);
        var random = new Random(7);
        _events = new IntileryEvent[Events];
        for (int i = 0; i < Events; i++)
        {
            _events[i] = i % 4 == 3
                ? _events[i - 1]
                : IntileryEvent.Parse(generator.Create(t0.AddMilliseconds(i - random.Next(0, 50))).Json);
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Events, Description = "Rx Distinct + Where")]
    public int RxDistinctWhere()
    {
        int count = 0;
        var subject = new Subject<IntileryEvent>();
        using (subject.Distinct(e => e.EventId).Where(e => e.EventAction != "identify").Subscribe(_ => count++))
        {
            foreach (IntileryEvent e in _events)
            {
                subject.OnNext(e);
            }
        }

        return count;
    }

    /// <summary>The memory floor: touching each event's id and time, which any dedupe and reorder must do.</summary>
    [Benchmark(OperationsPerInvoke = Events, Description = "floor: read each event's id and time")]
    public int Floor()
    {
        long sum = 0;
        foreach (IntileryEvent e in _events)
        {
            sum += e.EventId.Length + e.EventTime.UtcTicks;
        }

        return (int)(sum & 0x7FFFFFFF) | 1;
    }

    [Benchmark(OperationsPerInvoke = Events, Description = "Dedupe(10k) + Reorder(1s) + WhereAction")]
    public int BoundedPipeline() => Push(subject => subject
        .DedupeEvents(maxCount: 10_000)
        .ReorderByEventTime(TimeSpan.FromSeconds(1))
        .Where(e => e.EventAction != "identify"));

    [Benchmark(OperationsPerInvoke = Events, Description = "part: Subject + Where only")]
    public int WhereOnly() => Push(subject => subject.Where(e => e.EventAction != "identify"));

    [Benchmark(OperationsPerInvoke = Events, Description = "part: DedupeEvents(10k) only")]
    public int DedupeOnly() => Push(subject => subject.DedupeEvents(maxCount: 10_000));

    [Benchmark(OperationsPerInvoke = Events, Description = "part: ReorderByEventTime(1s) only")]
    public int ReorderOnly() => Push(subject => subject.ReorderByEventTime(TimeSpan.FromSeconds(1)));

    private int Push(Func<IObservable<IntileryEvent>, IObservable<IntileryEvent>> pipeline)
    {
        int count = 0;
        var subject = new Subject<IntileryEvent>();
        using (pipeline(subject).Subscribe(_ => count++))
        {
            foreach (IntileryEvent e in _events)
            {
                subject.OnNext(e);
            }

            subject.OnCompleted();
        }

        return count;
    }
}
