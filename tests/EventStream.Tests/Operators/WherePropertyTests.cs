using System.Reactive.Subjects;
using System.Text.Json;
using EventStream.Operators;
using EventStream.Parsing;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Operators;

public class WherePropertyTests
{
    [Fact]
    public void WhereProperty_ArgumentChecks()
    {
        var source = new Subject<IntileryEvent>();
        Assert.Throws<ArgumentNullException>(() => ((IObservable<IntileryEvent>)null!).WhereProperty("a", "b"));
        Assert.Throws<ArgumentException>(() => source.WhereProperty("", "b"));
        Assert.Throws<ArgumentNullException>(() => source.WhereProperty("a", (Func<JsonElement, bool>)null!));
    }

    [Fact]
    public void WhereProperty_MatchesValuesAndSkipsEventsWithoutTheProperty()
    {
        var source = new Subject<IntileryEvent>();
        var byValue = new Recorder<IntileryEvent>();
        var byPredicate = new Recorder<IntileryEvent>();
        using var a = source.WhereProperty("currency", "GBP").Subscribe(byValue);
        using var b = source.WhereProperty("total", v => v.ValueKind == JsonValueKind.Number && v.GetDouble() > 100).Subscribe(byPredicate);

        source.OnNext(TestEvents.Make("1", properties: """{"currency":"GBP","total":50}"""));
        source.OnNext(TestEvents.Make("2", properties: """{"currency":"EUR","total":150}"""));
        source.OnNext(TestEvents.Make("3", properties: """{"total":"lots"}"""));
        source.OnNext(TestEvents.Make("4"));
        source.OnNext(TestEvents.Make("5", properties: """{"currency":"GBP","total":101}"""));

        Assert.Equal(["1", "5"], byValue.Log);
        Assert.Equal(["2", "5"], byPredicate.Log);
    }

    [Fact]
    public void WhereProperty_PredicateThrows_EndsWithError()
    {
        var source = new Subject<IntileryEvent>();
        var recorder = new Recorder<IntileryEvent>();
        using var _ = source.WhereProperty("total", v => v.GetString() == "x").Subscribe(recorder);

        source.OnNext(TestEvents.Make("1", properties: """{"total":5}"""));

        Assert.Equal(["error:InvalidOperationException"], recorder.Log);
    }
}
