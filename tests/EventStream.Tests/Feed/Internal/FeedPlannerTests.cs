using EventStream.Api;
using EventStream.Feed;
using EventStream.Feed.Internal;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Feed.Internal;

/// <summary>
/// The planner driven by hand, synchronously, on a fake clock: no page source, no HTTP; each fetch it asks for is
/// answered with a chosen body or from a small index with the API's documented semantics.
/// </summary>
public class FeedPlannerTests
{
    private static readonly DateTimeOffset T0 = TestEvents.T0;
    private static readonly DateTimeOffset Now0 = T0.AddHours(1); // the harness's clock at the start

    [Fact]
    public void Next_FromTheBeginning_IsReadyAtOnceThenAsksForTheFirstHeadPage()
    {
        var h = new PlannerHarness(o => o.PageSize = 50);

        PlanStep ready = h.Next();
        PlanStep first = h.ExpectFetch(FetchPurpose.Head);

        Assert.Equal((PlanKind.Wait, TimeSpan.Zero), (ready.Kind, ready.Delay));
        Assert.False(h.Planner.Outcome(ready).AtHead);
        Assert.Null(first.Query!.Start);
        Assert.Equal((0, 50, EventSort.Ascending), (first.Query.From, first.Query.Size, first.Query.Sort));
    }

    [Fact]
    public void Apply_APageForAnotherPurposeThanAskedFor_Throws()
    {
        var h = new PlannerHarness();
        h.Next();
        PlanStep head = h.ExpectFetch(FetchPurpose.Head);

        Assert.Throws<InvalidOperationException>(() => h.Answer(head with { Purpose = FetchPurpose.Sweep }, []));
    }

    [Fact]
    public void Next_OnceLive_WaitsThePollIntervalThenPollsTheHeadHeldBack()
    {
        var h = new PlannerHarness(o => o.Start = FeedStart.At(T0));
        h.Next();
        StepResult end = h.Answer(h.ExpectFetch(FetchPurpose.Head), [], total: 0)!;
        Assert.True(end.AtHead);

        PlanStep wait = h.Next();
        h.Time.Advance(TimeSpan.FromMilliseconds(400));
        PlanStep shorter = h.Next();
        h.Time.Advance(TimeSpan.FromMilliseconds(600));
        PlanStep poll = h.ExpectFetch(FetchPurpose.Head);

        Assert.Equal((PlanKind.Wait, TimeSpan.FromSeconds(1)), (wait.Kind, wait.Delay));
        Assert.Equal((PlanKind.Wait, TimeSpan.FromMilliseconds(600)), (shorter.Kind, shorter.Delay));
        Assert.Equal(T0.AddMilliseconds(-1), poll.Query!.Start);
        Assert.Equal(Now0.AddSeconds(1).AddMilliseconds(-500), poll.Query.End); // HoldBack before the clock (local here)
    }

    [Fact]
    public void Abandon_ALatestReadThatFailedPartWay_BeginsItAgain()
    {
        var h = new PlannerHarness(o => (o.Start, o.PageSize) = (FeedStart.Latest(2), 1));
        PlanStep first = h.ExpectFetch(FetchPurpose.Start);
        Assert.Null(h.Answer(first, [h.Events.Create(T0.AddSeconds(2))], total: 2)); // the read goes on
        PlanStep second = h.ExpectFetch(FetchPurpose.Start);
        Assert.Equal(1, second.Query!.From);

        h.Planner.Abandon(FetchPurpose.Start);
        PlanStep again = h.ExpectFetch(FetchPurpose.Start);

        Assert.Equal(0, again.Query!.From);
    }

    [Fact]
    public void Run_ASettledBacklog_DeliversEveryEventOnceWithoutASweepAndCompletes()
    {
        var h = new PlannerHarness(o => o.PageSize = 100);
        h.Planner.StopWhenCaughtUp = true;
        var expected = new List<SimulatedEvent>();
        for (int i = 0; i < 1_000; i++)
        {
            expected.Add(h.Add(T0.AddMilliseconds(i * 7)));
        }

        List<IntileryEvent> delivered = h.RunFromIndex(Now0.AddMinutes(1));

        Assert.Equal(expected.Select(e => e.EventId), delivered.Select(e => e.EventId));
        Assert.Equal(PlanKind.Complete, h.Next().Kind);
        Assert.Equal(0, h.Planner.SweepRequests); // read after it had settled: final at once
        Assert.Equal(10, h.Requests); // ten full pages; the total says the tenth is the last, so no empty request
    }

    [Fact]
    public void Run_LiveTrafficWithLateEvents_DeliversEachOnceReadingItAtMostTwice()
    {
        var h = new PlannerHarness(o => o.PageSize = 100);
        var expected = new HashSet<string>();
        var random = new Random(5);
        for (int i = 0; i < 20 * 120; i++) // 20 events/s for two minutes, one in ten indexed 5 s late
        {
            DateTimeOffset t = Now0.AddMilliseconds(i * 50);
            expected.Add(h.Add(t, visibleAt: random.Next(10) == 0 ? t.AddSeconds(5) : t.AddMilliseconds(100)).EventId);
        }

        List<IntileryEvent> delivered = h.RunFromIndex(Now0.AddMinutes(2).AddSeconds(30));

        Assert.Equal(expected.Count, delivered.Count);
        Assert.True(expected.SetEquals(delivered.Select(e => e.EventId)), "every event delivered exactly once");
        double amplification = (double)h.EventsRead / delivered.Count;
        Assert.InRange(amplification, 1.0, 2.0);
        Assert.True(h.Planner.LateDelivered > 0, "the late events came through the sweep");
    }
}
