using System.Reactive.Subjects;
using EventStream.Operators;
using EventStream.Parsing;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Operators;

public class WhereActionTests
{
    [Fact]
    public void WhereAction_ArgumentChecks()
    {
        var source = new Subject<IntileryEvent>();
        Assert.Throws<ArgumentNullException>(() => ((IObservable<IntileryEvent>)null!).WhereAction("a"));
        Assert.Throws<ArgumentException>(() => source.WhereAction());
        Assert.Throws<ArgumentException>(() => source.WhereAction(""));
    }

    [Fact]
    public void WhereAction_KeepsOnlyTheGivenActions()
    {
        var source = new Subject<IntileryEvent>();
        var recorder = new Recorder<IntileryEvent>();
        using var _ = source.WhereAction("order_completed", "identify").Subscribe(recorder);

        source.OnNext(TestEvents.Make("1", action: "page"));
        source.OnNext(TestEvents.Make("2", action: "order_completed"));
        source.OnNext(TestEvents.Make("3", action: "identify"));
        source.OnNext(TestEvents.Make("4", action: "order_completedX"));
        source.OnCompleted();

        Assert.Equal(["2", "3", "done"], recorder.Log);
    }
}
