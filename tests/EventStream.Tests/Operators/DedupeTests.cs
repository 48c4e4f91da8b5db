using System.Reactive.Subjects;
using EventStream.Operators;
using EventStream.Parsing;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Operators;

public class DedupeTests
{
    [Fact]
    public void Dedupe_ArgumentChecks()
    {
        var source = new Subject<int>();
        Assert.Throws<ArgumentNullException>(() => ((IObservable<int>)null!).Dedupe(x => x, maxCount: 1));
        Assert.Throws<ArgumentNullException>(() => source.Dedupe<int, int>(null!, maxCount: 1));
        Assert.Equal("maxCount", Assert.Throws<ArgumentException>(() => source.Dedupe(x => x)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Dedupe(x => x, maxCount: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.Dedupe(x => x, maxAge: TimeSpan.Zero));
    }

    [Fact]
    public void Dedupe_CountBound_ForgetsTheOldestKey()
    {
        var source = new Subject<int>();
        var recorder = new Recorder<int>();
        using var _ = source.Dedupe(x => x, maxCount: 2).Subscribe(recorder);

        foreach (int x in new[] { 1, 2, 1, 3, 1, 2, 3 })
        {
            source.OnNext(x);
        }

        source.OnCompleted();
        // Keys held: {1,2} → 1 dropped → {2,3} after 3 → 1 is new again → {3,1} → 2 new → {1,2} → 3 new.
        Assert.Equal(["1", "2", "3", "1", "2", "3", "done"], recorder.Log);
    }

    [Fact]
    public void Dedupe_AgeBound_ForgetsKeysOlderThanMaxAge()
    {
        var time = new FakeTimeProvider();
        var source = new Subject<IntileryEvent>();
        var recorder = new Recorder<IntileryEvent>(time);
        using var _ = source.DedupeEvents(maxCount: null, maxAge: TimeSpan.FromSeconds(10), timeProvider: time).Subscribe(recorder);

        source.OnNext(TestEvents.Make("a"));
        time.Advance(TimeSpan.FromSeconds(9));
        source.OnNext(TestEvents.Make("a"));
        source.OnNext(TestEvents.Make("b"));
        time.Advance(TimeSpan.FromSeconds(1));
        source.OnNext(TestEvents.Make("a")); // 10 s after the first a: forgotten
        source.OnNext(TestEvents.Make("b")); // 1 s after b: still known

        Assert.Equal(["a@0", "b@9000", "a@10000"], recorder.Log);
    }

    [Fact]
    public void Dedupe_MemoryStaysAtTheBound_UnlikeDistinct()
    {
        var source = new Subject<int>();
        int count = 0;
        using var _ = source.Dedupe(x => x % 1_000, maxCount: 1_000).Subscribe(_ => count++);

        for (int i = 0; i < 100_000; i++)
        {
            source.OnNext(i);
        }

        Assert.Equal(1_000, count); // every key repeats within the bound, so only the first thousand pass
    }

    [Fact]
    public void Dedupe_KeySelectorThrows_EndsWithError()
    {
        var source = new Subject<int>();
        var recorder = new Recorder<int>();
        using var _ = source.Dedupe<int, int>(x => throw new InvalidOperationException(), maxCount: 5).Subscribe(recorder);

        source.OnNext(1);

        Assert.Equal(["error:InvalidOperationException"], recorder.Log);
    }
}
