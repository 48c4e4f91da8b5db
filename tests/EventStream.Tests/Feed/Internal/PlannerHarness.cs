using EventStream.Api;
using EventStream.Api.Internal;
using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Feed.Internal;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Feed.Internal;

/// <summary>
/// Drives a <see cref="FeedPlanner"/> by hand on a fake clock, without a page source: each fetch it asks for is answered
/// with a body the test chooses (or read from a small index with the API's documented semantics) and parsed by a real
/// <see cref="PageFilter"/>.
/// </summary>
internal sealed class PlannerHarness
{
    private readonly List<SimulatedEvent> _index = [];
    private int _requests;

    public PlannerHarness(Action<FeedOptions>? configure = null, FeedCheckpoint? resume = null)
    {
        Options = new FeedOptions { Start = FeedStart.Beginning, TimeProvider = Time, MaxLateness = TimeSpan.FromSeconds(10) };
        configure?.Invoke(Options);
        Options.Validate();
        Planner = new FeedPlanner(Options, resume);
        Filter = new PageFilter(Options, Planner.Dedupe);
    }

    public FakeTimeProvider Time { get; } = new(TestEvents.T0.AddHours(1));

    public FeedOptions Options { get; }

    public FeedPlanner Planner { get; }

    public PageFilter Filter { get; }

    public SyntheticEvents Events { get; } = new(7);

    /// <summary>Events in all the pages answered (read amplification: this over the events delivered).</summary>
    public long EventsRead { get; private set; }

    public int Requests => _requests;

    public PlanStep Next() => Planner.Next(FeedInstant.Now(Time));

    public PlanStep ExpectFetch(FetchPurpose purpose)
    {
        PlanStep step = Next();
        Assert.Equal(PlanKind.Fetch, step.Kind);
        Assert.Equal(purpose, step.Purpose);
        return step;
    }

    /// <summary>Answers <paramref name="step"/> with <paramref name="events"/> (the server's Date now, the request sent now).</summary>
    public StepResult? Answer(PlanStep step, IReadOnlyList<SimulatedEvent> events, long? total = null)
    {
        long sent = Time.GetTimestamp();
        DateTimeOffset now = Time.GetUtcNow();
        var date = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        PageScan page = Filter.Parse(SyntheticEvents.Page(events, total), new ResponseInfo("req-" + ++_requests, date, sent), step.Window);
        EventsRead += page.Count;
        return Planner.Apply(step.Purpose, page);
    }

    /// <summary>Adds an event to the index, visible from <paramref name="visibleAt"/> (by default its received time).</summary>
    public SimulatedEvent Add(DateTimeOffset eventTime, DateTimeOffset? visibleAt = null)
    {
        SimulatedEvent e = Events.Create(eventTime, receivedTime: visibleAt ?? eventTime.AddMilliseconds(100), visibleAt: visibleAt);
        _index.Add(e);
        return e;
    }

    /// <summary>Answers <paramref name="step"/> from the index as the API documents it: start and end exclusive, ties in arrival order.</summary>
    public StepResult? AnswerFromIndex(PlanStep step)
    {
        EventsQuery q = step.Query!;
        DateTimeOffset now = Time.GetUtcNow();
        var matching = _index
            .Select((e, arrival) => (e, arrival))
            .Where(x => x.e.VisibleAt <= now
                && (q.Start is not { } s || x.e.EventTime > EventTimes.TruncateToMs(s))
                && (q.End is not { } end || x.e.EventTime < EventTimes.TruncateToMs(end)))
            .OrderBy(x => x.e.EventTime).ThenBy(x => x.arrival)
            .Select(x => x.e)
            .ToList();
        if (q.Sort == EventSort.Descending)
        {
            matching.Reverse();
        }

        return Answer(step, [.. matching.Skip(q.From).Take(q.Size)], matching.Count);
    }

    /// <summary>Plans and answers from the index until the fake clock reaches <paramref name="until"/>, advancing it by each wait.</summary>
    public List<EventStream.Parsing.IntileryEvent> RunFromIndex(DateTimeOffset until, Action<DateTimeOffset>? beforeEachStep = null)
    {
        var delivered = new List<EventStream.Parsing.IntileryEvent>();
        for (int i = 0; i < 1_000_000 && Time.GetUtcNow() < until; i++)
        {
            beforeEachStep?.Invoke(Time.GetUtcNow());
            PlanStep step = Next();
            if (step.Kind == PlanKind.Complete)
            {
                break;
            }

            if (step.Kind == PlanKind.Wait)
            {
                Time.Advance(step.Delay);
                continue;
            }

            if (AnswerFromIndex(step) is { } result)
            {
                delivered.AddRange(result.Events);
            }
        }

        return delivered;
    }
}
