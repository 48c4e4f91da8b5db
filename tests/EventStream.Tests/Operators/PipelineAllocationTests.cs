using System.Reactive.Linq;
using System.Reactive.Subjects;
using EventStream.Operators;
using EventStream.Parsing;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Operators;

/// <summary>The pipeline's steady state allocates nothing per event (counted with the runtime's allocation counter; no timings).</summary>
public class PipelineAllocationTests
{
    [Fact]
    public void DedupeReorderWhere_SteadyState_AllocatesNothingPerEvent()
    {
        // 40,000 distinct events 1 ms apart, up to 50 ms out of order, every fourth one repeated (as feed overlaps would).
        var random = new Random(3);
        var events = new IntileryEvent[40_000];
        for (int i = 0; i < events.Length; i++)
        {
            events[i] = i % 4 == 3 ? events[i - 1] : TestEvents.Make($"e{i:D6}", i - random.Next(0, 50), i % 10 == 0 ? "identify" : "page");
        }

        var time = new FakeTimeProvider();
        var source = new Subject<IntileryEvent>();
        int delivered = 0;
        using IDisposable subscription = source
            .DedupeEvents(maxCount: 5_000)
            .ReorderByEventTime(TimeSpan.FromMilliseconds(500), timeProvider: time)
            .WhereAction(["page"])
            .Subscribe(_ => delivered++);

        for (int i = 0; i < 20_000; i++) // warm up: every buffer reaches its working size
        {
            source.OnNext(events[i]);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 20_000; i < events.Length; i++)
        {
            source.OnNext(events[i]);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.InRange(delivered, 25_000, 28_000); // ~3/4 distinct, 9/10 of them pages, less what is still held
    }
}
