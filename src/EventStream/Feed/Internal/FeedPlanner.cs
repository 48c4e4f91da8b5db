using EventStream.Checkpoints;
using EventStream.Parsing;
using static EventStream.Feed.Internal.EventTimes;

namespace EventStream.Feed.Internal;

/// <summary>
/// The feed's algorithm (DESIGN.md §3) as decisions without I/O: <see cref="Next"/> says what to do at a moment — fetch a
/// query for the start, the head or the sweep, wait, or complete — and <see cref="Apply"/> takes the page that answered
/// it. One request per decision, chosen so that live reading costs one head poll per PollInterval plus one settle read
/// per slice: a sweep pass starts only when a whole slice has settled (or to finish), the head is polled again only when
/// PollInterval has passed since it last reached the end, and otherwise the feed waits. State changes only when a page
/// is applied, after it has been read and parsed in full, so a failed request is simply asked for again.
/// </summary>
/// <remarks>
/// The parts own their state: <see cref="StartRead"/> (where to start), <see cref="HeadScan"/>, <see cref="SettleSweep"/>,
/// <see cref="PollPacer"/>, <see cref="ServerClock"/> and <see cref="ServerBounds"/> (what the server's clock and query
/// bounds are known to be). The planner holds what they share: the dedupe window, the high-water mark, the counters.
/// <see cref="FeedEngine"/> is the loop that fetches; <see cref="PageFilter"/> reads the pages.
/// </remarks>
internal sealed class FeedPlanner
{
    private readonly FeedOptions _options;
    private readonly ServerClock _clock;
    private readonly ServerBounds _bounds;
    private readonly StartRead _start;
    private readonly HeadScan _head;
    private readonly SettleSweep _sweep;
    private readonly PollPacer _pacer;

    /// <summary>The start position is known (and the start's events delivered).</summary>
    private bool _started;

    /// <summary>The purpose of the fetch asked for and not yet applied or abandoned (null: none).</summary>
    private FetchPurpose? _pending;

    /// <summary>Events before it are not wanted (the start position).</summary>
    private DateTimeOffset? _floor;

    /// <summary>The newest event time delivered in order: an event older than it is late.</summary>
    private DateTimeOffset? _highWater;

    /// <summary>With <see cref="StopWhenCaughtUp"/>: the newest event the head had seen when it first reached the end.</summary>
    private DateTimeOffset? _caughtUpTarget;

    public FeedPlanner(FeedOptions options, FeedCheckpoint? resumeFrom)
    {
        _options = options;
        _clock = new ServerClock(options.TimeProvider);
        _bounds = new ServerBounds(options);
        Dedupe = new DedupeWindow(options.DedupeCapacity);
        QueryKey = KeyOf(options);
        _start = new StartRead(options, _bounds, Dedupe, resumeFrom ?? (options.Start as FeedStart.CheckpointStart)?.Checkpoint, QueryKey);
        _head = new HeadScan(options, _bounds);
        _sweep = new SettleSweep(options, _bounds, Dedupe);
        _pacer = new PollPacer(options);
    }

    /// <summary>Identifies the filters a checkpoint belongs to.</summary>
    public string QueryKey { get; }

    /// <summary>The ids of events delivered that could be read again; the page filter drops them.</summary>
    public DedupeWindow Dedupe { get; }

    /// <summary>Complete once the head has reached the end and the sweep has covered it.</summary>
    public bool StopWhenCaughtUp { get; set; }

    public long Delivered { get; private set; }

    public long LateDelivered { get; private set; }

    public long Duplicates { get; private set; }

    public long SweepRequests => _sweep.Requests;

    /// <summary>The head has reached the newest event.</summary>
    public bool AtHead => _head.AtEnd;

    public static string KeyOf(FeedOptions options)
        => $"include={string.Join(',', options.Include)};exclude={string.Join(',', options.Exclude)}";

    public FeedPosition Position => new(Max(_head.Cursor, _head.LastRead), _sweep.Position, _highWater, KeepFrom);

    // Ids of events at or after this may be read again (head overlap, sweep start); older ones are forgotten.
    private DateTimeOffset KeepFrom
    {
        get
        {
            DateTimeOffset keep = _sweep.Position;
            if (_head.Cursor is { } c && c < keep)
            {
                keep = c;
            }

            if (_sweep.PassFrom is { } p && p < keep)
            {
                keep = p;
            }

            return keep == DateTimeOffset.MinValue ? keep : keep - OneMs;
        }
    }

    /// <summary>What to do at <paramref name="now"/>. A start that needs no request is taken here (then: wait zero).</summary>
    public PlanStep Next(FeedInstant now)
    {
        if (!_started)
        {
            if (_start.NeedsReading)
            {
                return Fetch(FetchPurpose.Start, _start.Plan(now));
            }

            Begin(_start.Resolve());
            return PlanStep.Wait(TimeSpan.Zero);
        }

        if (IsComplete())
        {
            return PlanStep.Complete;
        }

        DateTimeOffset serverNow = _clock.At(now.Timestamp);
        DateTimeOffset limit = _sweep.Limit(serverNow, _head.Covered);
        bool finishing = _head.Done && _options.Until is { } until && limit >= until;
        _sweep.StartPassIfDue(limit, _pacer.LiveRate, finishing, _caughtUpTarget);
        bool headDue = _head.IsDue(now.Timestamp, _pacer);
        if (_sweep.InPass && !(headDue && _head.AtEnd))
        {
            return Fetch(FetchPurpose.Sweep, _sweep.Plan());
        }

        return headDue ? Fetch(FetchPurpose.Head, _head.Plan(now, _clock)) : PlanStep.Wait(NextDue(now));
    }

    /// <summary>
    /// Takes in <paramref name="page"/>, the answer to the fetch <see cref="Next"/> asked for. Returns what the step
    /// produced, or null while the start's read of the latest events goes on (ask <see cref="Next"/> again at once).
    /// </summary>
    public StepResult? Apply(FetchPurpose purpose, PageScan page)
    {
        if (_pending != purpose)
        {
            throw new InvalidOperationException($"A {purpose} page was applied, but {_pending?.ToString() ?? "no fetch"} was asked for.");
        }

        _pending = null;
        _bounds.Observe(page);
        return purpose switch
        {
            FetchPurpose.Start => ApplyStart(page),
            FetchPurpose.Head => ApplyHead(page),
            _ => ApplySweep(page),
        };
    }

    /// <summary>The fetch <see cref="Next"/> asked for failed: nothing changes, but a read of the latest events begins again.</summary>
    public void Abandon(FetchPurpose purpose)
    {
        if (_pending == purpose)
        {
            _pending = null;
            if (purpose == FetchPurpose.Start)
            {
                _start.Reset();
            }
        }
    }

    /// <summary>The step result of a <see cref="PlanKind.Wait"/> or <see cref="PlanKind.Complete"/>.</summary>
    public StepResult Outcome(PlanStep step) => step.Kind == PlanKind.Complete
        ? new StepResult { Completed = true, Position = Position, AtHead = true }
        : new StepResult { Delay = step.Delay, AtHead = _head.AtEnd, Position = Position };

    private PlanStep Fetch(FetchPurpose purpose, Api.EventsQuery query)
    {
        _pending = purpose;
        return PlanStep.Fetch(purpose, query, PageWindow.For(query, KeepFrom, _floor));
    }

    private void Begin(StartPosition start)
    {
        _head.StartAt(start.Cursor);
        _floor = start.Floor;
        _sweep.StartAt(start.SweepPosition);
        _highWater = start.HighWater;
        _started = true;
    }

    private StepResult? ApplyStart(PageScan page)
    {
        DateTimeOffset settled = _sweep.Settled(_clock.Observe(page));
        if (_start.Apply(page, settled) is not { } start)
        {
            return null;
        }

        Begin(start);
        Delivered += start.Events.Count;
        return new StepResult { Events = start.Events, Position = Position };
    }

    private StepResult ApplyHead(PageScan page)
    {
        DateTimeOffset s = _clock.Observe(page);
        DateTimeOffset settled = _sweep.Settled(s);
        Deliver(page, fromSweep: false);
        HeadRead read = _head.Apply(page, s, settled, live: _pacer.IsLive);
        _pacer.Count(page.Accepted.Count);
        _sweep.SkipSettled(read.CoverageStart, read.FinalTo);
        if (read.AtEnd)
        {
            _pacer.EndOfCycle(page, read.Unread ?? 0);
            if (StopWhenCaughtUp && _caughtUpTarget is null)
            {
                _caughtUpTarget = _highWater ?? DateTimeOffset.MinValue;
            }
        }

        Dedupe.EvictBefore(KeepFrom);
        return new StepResult
        {
            Events = page.Accepted,
            Position = Position,
            AtHead = _head.AtEnd,
            Remaining = _head.AtEnd ? 0 : read.Remaining,
            Behind = page.Last is { } l && s != DateTimeOffset.MinValue ? s - l : null,
            Completed = IsComplete(),
        };
    }

    private StepResult ApplySweep(PageScan page)
    {
        _clock.Observe(page);
        Deliver(page, fromSweep: true);
        _sweep.Apply(page);
        Dedupe.EvictBefore(KeepFrom);
        return new StepResult { Events = page.Accepted, Position = Position, AtHead = _head.AtEnd, Completed = IsComplete() };
    }

    // How long to wait before the next step has something to do: the next head poll, or the next slice settling.
    private TimeSpan NextDue(FeedInstant now)
    {
        TimeSpan wait = _head.Done ? _options.PollInterval : _pacer.DueIn(now.Timestamp);
        if (_clock.IsKnown)
        {
            TimeSpan untilSettled = _sweep.UntilNextSlice(_clock.At(now.Timestamp), _pacer.LiveRate, _caughtUpTarget);
            if (untilSettled > TimeSpan.Zero && untilSettled < wait)
            {
                wait = untilSettled;
            }
        }

        return wait < OneMs ? OneMs : wait;
    }

    private bool IsComplete()
    {
        if (_options.Until is { } until && _head.Done && _sweep.Position >= until)
        {
            return true;
        }

        // Caught up: the sweep has passed the newest event the head had seen when it first reached the end
        // (with no events at all there is nothing to wait for).
        return _caughtUpTarget is { } target && (target == DateTimeOffset.MinValue || _sweep.Position > target);
    }

    private void Deliver(PageScan page, bool fromSweep)
    {
        Duplicates += page.Duplicates;
        foreach (IntileryEvent e in page.Accepted)
        {
            Dedupe.Add(e.Key, e.EventTime);
            if (fromSweep || (_highWater is { } hw && e.EventTime < hw))
            {
                e.IsLate = true;
                LateDelivered++;
            }
            else
            {
                _highWater = e.EventTime;
            }
        }

        Delivered += page.Accepted.Count;
    }
}
