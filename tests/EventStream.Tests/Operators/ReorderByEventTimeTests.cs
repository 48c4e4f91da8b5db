using System.Reactive.Subjects;
using EventStream.Operators;
using EventStream.Parsing;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Operators;

public class ReorderByEventTimeTests
{
    private static (Subject<IntileryEvent> Source, Recorder<IntileryEvent> Recorder, FakeTimeProvider Time, IDisposable Subscription) Setup(LateEventPolicy policy = LateEventPolicy.EmitImmediately)
    {
        var time = new FakeTimeProvider();
        var source = new Subject<IntileryEvent>();
        var recorder = new Recorder<IntileryEvent>(time);
        IDisposable subscription = source.ReorderByEventTime(TimeSpan.FromMilliseconds(100), policy, time).Subscribe(recorder);
        return (source, recorder, time, subscription);
    }

    [Fact]
    public void Reorder_ArgumentChecks()
    {
        var source = new Subject<IntileryEvent>();
        Assert.Throws<ArgumentNullException>(() => ((IObservable<IntileryEvent>)null!).ReorderByEventTime(TimeSpan.FromSeconds(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.ReorderByEventTime(TimeSpan.Zero));
        Assert.Throws<ArgumentOutOfRangeException>(() => source.ReorderByEventTime(TimeSpan.FromSeconds(1), (LateEventPolicy)9));
    }

    [Fact]
    public void Reorder_ReleasesByEventTimeWatermark_InOrder()
    {
        (Subject<IntileryEvent> source, Recorder<IntileryEvent> recorder, _, IDisposable subscription) = Setup();
        using IDisposable sub = subscription;

        source.OnNext(TestEvents.Make("c", 30));
        source.OnNext(TestEvents.Make("a", 10));
        source.OnNext(TestEvents.Make("b", 20));
        source.OnNext(TestEvents.Make("d", 125)); // watermark 25: a, b out
        source.OnNext(TestEvents.Make("e", 131)); // watermark 31: c out
        source.OnCompleted();                     // flush d, e

        Assert.Equal(["a@0", "b@0", "c@0", "d@0", "e@0", "done@0"], recorder.Log);
    }

    [Fact]
    public void Reorder_HoldsNoEventLongerThanTheWindowOfClockTime()
    {
        (Subject<IntileryEvent> source, Recorder<IntileryEvent> recorder, FakeTimeProvider time, IDisposable subscription) = Setup();
        using IDisposable sub = subscription;

        source.OnNext(TestEvents.Make("b", 20));
        time.Advance(TimeSpan.FromMilliseconds(40));
        source.OnNext(TestEvents.Make("a", 10));
        time.Advance(TimeSpan.FromMilliseconds(59));
        Assert.Empty(recorder.Log);
        time.Advance(TimeSpan.FromMilliseconds(1));  // b has been held 100 ms: a (earlier) and b go out
        time.Advance(TimeSpan.FromMilliseconds(100));

        Assert.Equal(["a@100", "b@100"], recorder.Log);
    }

    [Fact]
    public void Reorder_TiesKeepArrivalOrder()
    {
        (Subject<IntileryEvent> source, Recorder<IntileryEvent> recorder, _, IDisposable subscription) = Setup();
        using IDisposable sub = subscription;

        source.OnNext(TestEvents.Make("x", 5));
        source.OnNext(TestEvents.Make("y", 5));
        source.OnNext(TestEvents.Make("w", 4));
        source.OnCompleted();

        Assert.Equal(["w@0", "x@0", "y@0", "done@0"], recorder.Log);
    }

    [Theory]
    [InlineData(LateEventPolicy.EmitImmediately, "a@0,late@0,b@0,done@0")]
    [InlineData(LateEventPolicy.Drop, "a@0,b@0,done@0")]
    [InlineData(LateEventPolicy.Error, "a@0,error:LateEventException@0")]
    public void Reorder_EventLaterThanTheWindow_FollowsThePolicy(LateEventPolicy policy, string expected)
    {
        (Subject<IntileryEvent> source, Recorder<IntileryEvent> recorder, _, IDisposable subscription) = Setup(policy);
        using IDisposable sub = subscription;

        source.OnNext(TestEvents.Make("a", 10));
        source.OnNext(TestEvents.Make("b", 500)); // watermark 400: a out
        source.OnNext(TestEvents.Make("late", 5)); // older than a, already emitted
        source.OnCompleted();

        Assert.Equal(expected.Split(','), recorder.Log);
    }

    [Fact]
    public void Reorder_ErrorUpstream_IsForwardedAtOnce()
    {
        (Subject<IntileryEvent> source, Recorder<IntileryEvent> recorder, _, IDisposable subscription) = Setup();
        using IDisposable sub = subscription;

        source.OnNext(TestEvents.Make("a", 10));
        source.OnError(new TimeoutException());

        Assert.Equal(["error:TimeoutException@0"], recorder.Log);
    }
}
