using EventStream.Api;
using EventStream.Api.Internal;
using EventStream.Checkpoints;
using EventStream.Parsing;
using EventStream.Parsing.Internal;

namespace EventStream.Feed.Internal;

/// <summary>
/// The feed's algorithm (DESIGN.md §3), one request per <see cref="StepAsync"/>, with no threads or delays of its own
/// so that tests can drive it step by step. A step changes the engine's state only after its page has been read and
/// parsed in full, so a failed request can simply be stepped again: the cursor is never lost.
/// </summary>
/// <remarks>
/// Head scan: <c>sort=asc</c>, <c>start = cursor − 1 ms</c>, <c>from</c> advancing; at the 10,000 window's end the
/// cursor moves to the last event time read and <c>from</c> restarts at 0.
/// Settle sweep: every time range the head read before it had settled (server clock − MaxLateness) is read once more
/// after it has; ranges the head read when already settled are final and skipped, so catching up an old backlog costs
/// one read per event, and live reading at most two. <see cref="_sweepPosition"/>: every event before it is final.
/// </remarks>
internal sealed class FeedEngine
{
    private static readonly TimeSpan OneMs = TimeSpan.FromMilliseconds(1);

    private readonly IPageSource _source;
    private readonly FeedOptions _options;
    private readonly TimeProvider _time;
    private readonly ServerClock _clock;
    private readonly DedupeWindow _dedupe;
    private readonly Utf8StringCache _strings = new();
    private readonly HashSet<UInt128> _pageIds = [];
    private readonly EventBytes _bytes = new();
    private readonly List<UnreadableEventInfo> _unreadable = [];
    private readonly HashSet<string> _reportedUnreadable = new(StringComparer.Ordinal);
    private readonly FeedCheckpoint? _resumeFrom;
    private readonly RateMeter _requestRate;

    private bool _initialized;
    private DateTimeOffset? _floor;          // events before it are not wanted (start position)
    private DateTimeOffset? _cursor;         // head window start; null: from the beginning
    private int _headFrom;
    private DateTimeOffset? _windowLast;     // last event time read in the current head window
    private DateTimeOffset? _headLastRead;   // last event time the head has read
    private DateTimeOffset _headCovered = DateTimeOffset.MinValue; // the head has read (once) every event visible before this
    private bool _headAtEnd;                 // the head's last read reached the newest event
    private long _headPolledAt;              // local timestamp of that read: the next head poll is due PollInterval later
    private bool _endSeenInclusive;
    private bool _headDone;                  // read everything before Until
    private bool _noOverlap;                 // a dense millisecond on a server seen to treat start as inclusive
    private bool _startSeenInclusive;
    private DateTimeOffset? _highWater;
    private DateTimeOffset _sweepPosition = DateTimeOffset.MinValue;
    private SweepPass? _pass;
    private DateTimeOffset? _caughtUpTarget;
    private bool _headReachedEnd;            // at least once
    private int _cycleEvents;                // events the head has read since it last reached the end
    private double _liveRate;                // events per second the head read in its last poll cycle, once live
    private TimeSpan _headWait;              // how long after a poll that reached the end the next one is due

    public FeedEngine(IPageSource source, FeedOptions options, FeedCheckpoint? resumeFrom)
    {
        _source = source;
        _options = options;
        _time = options.TimeProvider;
        _clock = new ServerClock(_time);
        _requestRate = new RateMeter(_time);
        _dedupe = new DedupeWindow(options.DedupeCapacity);
        _resumeFrom = resumeFrom ?? (options.Start as FeedStart.CheckpointStart)?.Checkpoint;
        QueryKey = KeyOf(options);
    }

    /// <summary>Identifies the filters a checkpoint belongs to.</summary>
    public string QueryKey { get; }

    public long Requests { get; private set; }

    public long SweepRequests { get; private set; }

    /// <summary>Requests per second over the last minute.</summary>
    public double RequestsPerSecond => _requestRate.PerSecond();

    public long Delivered { get; private set; }

    public long LateDelivered { get; private set; }

    public long Duplicates { get; private set; }

    public long Unreadable { get; private set; }

    public int DedupeCount => _dedupe.Count;

    /// <summary>Set by the caller: complete once the head has reached the end and the sweep has covered it.</summary>
    public bool StopWhenCaughtUp { get; init; }

    public Action<EventsApiException, TimeSpan>? OnRetry { get; init; }

    /// <summary>Told of each unreadable event once (a page read again reports it no more).</summary>
    public Action<UnreadableEvent>? OnUnreadable { get; init; }

    public static string KeyOf(FeedOptions options)
        => $"include={string.Join(',', options.Include)};exclude={string.Join(',', options.Exclude)}";

    public FeedPosition Position
    {
        get
        {
            DateTimeOffset? cursor = Max(_cursor, _headLastRead);
            DateTimeOffset keep = KeepFrom;
            return new FeedPosition(cursor, _sweepPosition, _highWater, keep);
        }
    }

    // Ids of events at or after this may be read again (head overlap, sweep start); older ones are forgotten.
    private DateTimeOffset KeepFrom
    {
        get
        {
            DateTimeOffset keep = _sweepPosition;
            if (_cursor is { } c && c < keep)
            {
                keep = c;
            }

            if (_pass is { } p && p.From < keep)
            {
                keep = p.From;
            }

            return keep == DateTimeOffset.MinValue ? keep : keep - OneMs;
        }
    }

    public async Task<StepResult> StepAsync(CancellationToken cancellationToken)
    {
        if (!_initialized)
        {
            return await InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        if (IsComplete())
        {
            return new StepResult { Completed = true, Position = Position, AtHead = true };
        }

        // One request per step, chosen so that live reading costs one head poll per PollInterval plus one settle read
        // per slice: a sweep pass starts only when a whole slice has settled (or to finish), the head is polled again
        // only when PollInterval has passed since it last reached the end, and otherwise the engine waits.
        DateTimeOffset limit = SweepLimit();
        if (_pass is null && SweepDue(limit))
        {
            _pass = new SweepPass(_sweepPosition, _dedupe.EndAfter(_sweepPosition, limit, SliceMaxEvents));
        }

        bool headDue = !_headDone && (!_headAtEnd || _time.GetElapsedTime(_headPolledAt) >= _headWait);
        if (_pass is not null && !(headDue && _headAtEnd))
        {
            return await SweepStepAsync(_pass, cancellationToken).ConfigureAwait(false);
        }

        if (headDue)
        {
            return await HeadStepAsync(cancellationToken).ConfigureAwait(false);
        }

        return new StepResult { Delay = NextDue(), AtHead = true, Position = Position };
    }

    // A settle read covers at least this much time, so that idle and slow feeds pay about one sweep request per slice
    // (a quarter of MaxLateness: late events are found at most that much after they have settled); on a feed busier
    // than a page per poll, at least half of SliceMaxEvents, so that the sweep costs ≤ 0.04 requests per 100 events.
    private TimeSpan SweepMinSpan
    {
        get
        {
            long ticks = Math.Max(TimeSpan.TicksPerSecond, Math.Max(_options.PollInterval.Ticks, _options.MaxLateness.Ticks / 4));
            if (_liveRate > _options.PageSize / _options.PollInterval.TotalSeconds)
            {
                ticks = Math.Max(ticks, (long)(SliceMaxEvents / 2 / _liveRate * TimeSpan.TicksPerSecond));
            }

            return TimeSpan.FromTicks(ticks);
        }
    }

    // ...and at most about this many known events, so that the API's total for the slice stays exact (an
    // Elasticsearch-like server stops counting at 10,000) and one request can confirm the slice.
    private const int SliceMaxEvents = 5_000;

    // Everything before this has settled and the head has read it once.
    private DateTimeOffset SweepLimit()
    {
        DateTimeOffset limit = Min(Settled(_clock.Now), _headCovered);
        return _options.Until is { } until ? Min(limit, until) : limit;
    }

    private bool SweepDue(DateTimeOffset limit)
    {
        if (limit <= _sweepPosition)
        {
            return false;
        }

        if (limit - _sweepPosition >= SweepMinSpan)
        {
            return true;
        }

        // Finishing (Until, or caught up): one pass that reaches the target, not a pass per step while time creeps on.
        return (_headDone && _options.Until is { } until && limit >= until)
            || (_caughtUpTarget is { } target && limit > target);
    }

    // How long to wait before the next step has something to do: the next head poll, or the next slice settling.
    private TimeSpan NextDue()
    {
        TimeSpan wait = _headDone ? _options.PollInterval : _headWait - _time.GetElapsedTime(_headPolledAt);
        if (_clock.IsKnown)
        {
            DateTimeOffset due = _sweepPosition + SweepMinSpan;
            if (_caughtUpTarget is { } target && target + OneMs < due)
            {
                due = target + OneMs;
            }

            TimeSpan untilSettled = due - Settled(_clock.Now);
            if (untilSettled > TimeSpan.Zero && untilSettled < wait)
            {
                wait = untilSettled;
            }
        }

        return wait < OneMs ? OneMs : wait;
    }

    // The head reached the end (or, live, the end less a part page): note how fast events come, and when to poll next.
    // Normally after PollInterval. On a feed busier than a page per interval, as soon as about one page (97%, counting
    // what is left unread and the overlap read again) is expected at the server's answer, so that each poll is one
    // full request instead of several pages and a short one; events wait at most PollInterval either way.
    private void NoteHeadCycle(PageScan page, long unread)
    {
        bool wasLive = _headReachedEnd;
        TimeSpan cycle = wasLive ? _time.GetElapsedTime(_headPolledAt, page.SentTimestamp) : TimeSpan.Zero;
        _headReachedEnd = true;
        _headPolledAt = page.SentTimestamp;
        _headWait = _options.PollInterval;
        if (wasLive && cycle > TimeSpan.Zero && cycle <= _options.PollInterval + _options.PollInterval)
        {
            _liveRate = _cycleEvents / cycle.TotalSeconds;
            double room = (0.97 * _options.PageSize) - unread - page.AtLast;
            TimeSpan latency = _time.GetElapsedTime(page.SentTimestamp, page.Timestamp);
            TimeSpan toFillAPage = TimeSpan.FromSeconds(Math.Max(0, room) / Math.Max(_liveRate, 1e-9)) - latency;
            if (toFillAPage < _headWait)
            {
                _headWait = toFillAPage < OneMs ? OneMs : toFillAPage;
            }
        }

        _cycleEvents = 0;
    }

    private bool IsComplete()
    {
        if (_options.Until is { } until && _headDone && _sweepPosition >= until)
        {
            return true;
        }

        // Caught up: the sweep has passed the newest event the head had seen when it first reached the end
        // (with no events at all there is nothing to wait for).
        return _caughtUpTarget is { } target && (target == DateTimeOffset.MinValue || _sweepPosition > target);
    }

    private async Task<StepResult> InitializeAsync(CancellationToken cancellationToken)
    {
        if (_resumeFrom is { } checkpoint)
        {
            if (checkpoint.Query != QueryKey)
            {
                throw new FeedException($"The checkpoint was saved for other filters ({checkpoint.Query}) than this feed's ({QueryKey}).");
            }

            _cursor = checkpoint.Cursor;
            _sweepPosition = checkpoint.SweepPosition;
            _highWater = checkpoint.HighWater;
            foreach (SeenEvent seen in checkpoint.Seen)
            {
                _dedupe.Add(seen.EventId, seen.EventTime);
            }

            _initialized = true;
            return new StepResult { Position = Position };
        }

        switch (_options.Start)
        {
            case FeedStart.BeginningStart:
                _initialized = true;
                return new StepResult { Position = Position };
            case FeedStart.AtStart at:
                _cursor = _floor = at.Time;
                _sweepPosition = at.Time;
                _initialized = true;
                return new StepResult { Position = Position };
            case FeedStart.LatestStart latest:
                return await InitializeLatestAsync(latest.Count, cancellationToken).ConfigureAwait(false);
            default:
                return await InitializeLatestAsync(0, cancellationToken).ConfigureAwait(false);
        }
    }

    // Latest N (and Now, as N = 0): read newest first; deliver the N oldest-first; the head goes on from the newest.
    private async Task<StepResult> InitializeLatestAsync(int count, CancellationToken cancellationToken)
    {
        var newestFirst = new List<IntileryEvent>();
        DateTimeOffset? newest = null;
        DateTimeOffset settledAtRead = DateTimeOffset.MinValue;
        int from = 0;

        // Held back like the head (nothing newer than the clock less HoldBack), or the head would go on from an event
        // newer than some still being indexed, and those would come late through the sweep. The server's clock is not
        // known before its first answer: the local one stands in, as it does for the head.
        DateTimeOffset? end = _options.Until;
        if (_options.HoldBack > TimeSpan.Zero && _time.GetUtcNow() - _options.HoldBack is var held && (end is null || held < end))
        {
            end = held;
        }

        while (true)
        {
            int size = count == 0 ? _options.PageSize : Math.Min(_options.PageSize, count - newestFirst.Count);
            var query = Query(start: null, end: end, from, size, EventSort.Descending);
            PageScan page = await FetchAsync(query, cancellationToken).ConfigureAwait(false);
            DateTimeOffset settled = Settled(ObserveServerTime(page));
            if (from == 0)
            {
                // The newest events were read first, at the earliest time: that read bounds what is final.
                settledAtRead = settled;
            }

            newest ??= page.First;
            if (count == 0)
            {
                // Now: the events of the newest millisecond exist already; remember them so they are not delivered.
                foreach (IntileryEvent e in page.Accepted.Where(e => e.EventTime == newest))
                {
                    _dedupe.Add(e.Key, e.EventTime);
                }

                break;
            }

            newestFirst.AddRange(page.Accepted);
            from += page.Count;
            if (page.Count < size || newestFirst.Count >= count || from + _options.PageSize > EventsQuery.ResultWindow)
            {
                break;
            }
        }

        newestFirst.Reverse();
        foreach (IntileryEvent e in newestFirst)
        {
            _dedupe.Add(e.Key, e.EventTime);
        }

        _cursor = _floor = newest;
        _highWater = newest;
        DateTimeOffset oldest = newestFirst.Count > 0 ? newestFirst[0].EventTime : newest ?? DateTimeOffset.MinValue;
        _sweepPosition = count == 0 ? (newest ?? DateTimeOffset.MinValue) : Max(oldest, settledAtRead) ?? oldest;
        _initialized = true;
        Delivered += newestFirst.Count;
        return new StepResult { Events = newestFirst, Position = Position };
    }

    private async Task<StepResult> HeadStepAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset? queryStart = _cursor is { } c ? (_noOverlap ? c : c - OneMs) : null;

        // Held back: nothing newer than the server's clock less HoldBack (so what is still being indexed is not passed).
        // The server's clock is taken as the later of the local clock and what responses proved (a local clock that runs
        // ahead only shortens the hold-back); before the cursor is that far behind, only its millisecond is read.
        DateTimeOffset? heldTo = _clock.IsKnown && _options.HoldBack > TimeSpan.Zero ? Max(_clock.Now, _time.GetUtcNow())!.Value - _options.HoldBack : null;
        if (heldTo is { } h && queryStart is { } qs && h <= qs)
        {
            heldTo = qs + OneMs;
        }

        DateTimeOffset? end = _options.Until is { } u && heldTo is { } held ? Min(u, held) : _options.Until ?? heldTo;
        EventsQuery query = Query(queryStart, end, _headFrom, _options.PageSize, EventSort.Ascending);
        PageScan page = await FetchAsync(query, cancellationToken).ConfigureAwait(false);

        // Everything below is the commit: the page was read and parsed in full.
        DateTimeOffset s = ObserveServerTime(page);
        DateTimeOffset settled = Settled(s);
        DateTimeOffset coverageStart = _headFrom == 0 ? (_cursor ?? DateTimeOffset.MinValue) : (_windowLast ?? _cursor ?? DateTimeOffset.MinValue);
        Deliver(page, fromSweep: false);
        _headLastRead = Max(_headLastRead, page.Last);
        long? remaining = page.Total is { } total ? Math.Max(0, total - _headFrom - page.Count) : null;

        // A full page is the end too when the API's total says nothing follows it (a total that may be capped, like
        // Elasticsearch's 10,000, is not trusted): that saves the empty request that would otherwise end each poll.
        // Live, less than a page left is left for the next poll (due within PollInterval), which reads it with what
        // comes meanwhile in one request, unless the page's last millisecond holds too much of it to restart there.
        long? unread = page.Total < EventsQuery.ResultWindow ? remaining : null;
        bool more = page.Count == _options.PageSize && unread is not 0
            && !(_headReachedEnd && unread < _options.PageSize && page.AtLast < _options.PageSize / 2);
        _cycleEvents += page.Accepted.Count;
        if (more)
        {
            DateTimeOffset last = page.Last!.Value;
            _windowLast = last;
            _headCovered = Max(_headCovered, last)!.Value;
            if (_sweepPosition >= coverageStart)
            {
                _sweepPosition = Max(_sweepPosition, Min(last, settled))!.Value;
            }

            _headFrom += page.Count;
            _headAtEnd = false;
            if (_headFrom + _options.PageSize > EventsQuery.ResultWindow)
            {
                RestartWindow(ref _cursor, ref _headFrom, ref _noOverlap, last);
                _windowLast = null;
            }
        }
        else
        {
            DateTimeOffset covered = Max(page.Last, s)!.Value;
            if (end is { } e)
            {
                covered = Min(covered, e);
            }

            if (_options.Until is { } until)
            {
                _headDone |= s >= until && (heldTo is null || heldTo >= until);
            }

            _headCovered = Max(_headCovered, covered)!.Value;
            if (_sweepPosition >= coverageStart)
            {
                _sweepPosition = Max(_sweepPosition, Min(settled, covered))!.Value;
            }

            if ((page.Last ?? _windowLast) is { } restartAt)
            {
                _cursor = restartAt;
            }

            _headFrom = 0;
            _windowLast = null;
            _noOverlap = false;
            _headAtEnd = true;
            NoteHeadCycle(page, unread ?? 0);
            if (StopWhenCaughtUp && _caughtUpTarget is null)
            {
                _caughtUpTarget = _highWater ?? DateTimeOffset.MinValue;
            }
        }

        _dedupe.EvictBefore(KeepFrom);
        return new StepResult
        {
            Events = page.Accepted,
            Position = Position,
            AtHead = _headAtEnd,
            Remaining = _headAtEnd ? 0 : remaining,
            Behind = page.Last is { } l && s != DateTimeOffset.MinValue ? s - l : null,
            Completed = IsComplete(),
        };
    }

    // One page of a settle pass. The first page of a query also brings the API's total for the range: when it equals
    // the events the feed already knows there (and those the pass has found since), nothing is missing and the rest
    // of the range need not be read, so a quiet slice costs one request however many events it holds. Without a total,
    // or while events are missing, the pass pages through the range as the head does.
    private async Task<StepResult> SweepStepAsync(SweepPass pass, CancellationToken cancellationToken)
    {
        DateTimeOffset? queryStart = pass.From == DateTimeOffset.MinValue ? null : (pass.NoOverlap ? pass.From : pass.From - OneMs);
        EventsQuery query = Query(queryStart, pass.End, pass.Offset, _options.PageSize, EventSort.Ascending);
        (DateTimeOffset countFrom, DateTimeOffset countTo) = CountedRange(query);
        if (pass.Offset == 0)
        {
            pass.Known = _dedupe.CountBetween(countFrom, countTo);
            pass.Found = 0;
        }

        PageScan page = await FetchAsync(query, cancellationToken).ConfigureAwait(false);
        SweepRequests++;
        ObserveServerTime(page);
        Deliver(page, fromSweep: true);
        foreach (IntileryEvent e in page.Accepted)
        {
            if (e.EventTime >= countFrom && e.EventTime < countTo)
            {
                pass.Found++;
            }
        }

        bool confirmed = page.Total is { } total && total <= pass.Known + pass.Found;
        if (page.Count == _options.PageSize && !confirmed)
        {
            DateTimeOffset last = page.Last!.Value;
            _sweepPosition = Max(_sweepPosition, last)!.Value;
            pass.Offset += page.Count;
            if (pass.Offset + _options.PageSize > EventsQuery.ResultWindow)
            {
                DateTimeOffset? from = pass.From == DateTimeOffset.MinValue ? null : pass.From;
                int offset = pass.Offset;
                bool noOverlap = pass.NoOverlap;
                RestartWindow(ref from, ref offset, ref noOverlap, last);
                (pass.From, pass.Offset, pass.NoOverlap) = (from!.Value, offset, noOverlap);
            }
        }
        else
        {
            _sweepPosition = Max(_sweepPosition, pass.End)!.Value;
            _pass = null;
        }

        _dedupe.EvictBefore(KeepFrom);
        return new StepResult { Events = page.Accepted, Position = Position, AtHead = _headAtEnd, Completed = IsComplete() };
    }

    // The event times a query's total counts, as far as this feed can tell: the documented reading (start and end
    // exclusive) unless the server has been seen to include an event at a bound. Times are whole milliseconds.
    private (DateTimeOffset From, DateTimeOffset To) CountedRange(EventsQuery query)
    {
        DateTimeOffset from = query.Start is { } s ? TruncateToMs(s) + (_startSeenInclusive ? TimeSpan.Zero : OneMs) : DateTimeOffset.MinValue;
        DateTimeOffset to = query.End is { } e ? TruncateToMs(e) + (_endSeenInclusive ? OneMs : TimeSpan.Zero) : DateTimeOffset.MaxValue;
        return (from, to);
    }

    private static DateTimeOffset TruncateToMs(DateTimeOffset time)
        => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    // The window is full: continue from the last event time read. If that is where this window began, one
    // millisecond holds the whole window; on a server seen to treat start as inclusive, drop the 1 ms overlap once.
    private void RestartWindow(ref DateTimeOffset? start, ref int from, ref bool noOverlap, DateTimeOffset last)
    {
        if (start is { } s && last <= s)
        {
            if (_startSeenInclusive && !noOverlap)
            {
                noOverlap = true;
                from = 0;
                return;
            }

            throw new FeedException(
                $"More than {EventsQuery.ResultWindow:N0} events share the millisecond {EventsQuery.FormatTime(s)}; the API cannot page past them, so the feed stops rather than lose or repeat events.");
        }

        start = last;
        from = 0;
        noOverlap = false;
    }

    private void Deliver(PageScan page, bool fromSweep)
    {
        Duplicates += page.Duplicates;
        foreach (IntileryEvent e in page.Accepted)
        {
            _dedupe.Add(e.Key, e.EventTime);
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

    // Events before this had time to become visible at server time s (MinValue: the server's clock is not known yet).
    private DateTimeOffset Settled(DateTimeOffset s) => s == DateTimeOffset.MinValue ? s : s - _options.MaxLateness;

    // A lower bound of the server's clock when it evaluated the query: the clock estimate at the moment the request
    // was sent (not now: the response may have taken a while), the newest receivedTime in the page, and the Date
    // header less a second. Then the observations update the clock.
    private DateTimeOffset ObserveServerTime(PageScan page)
    {
        DateTimeOffset s = _clock.At(page.SentTimestamp);
        s = Max(s, page.MaxReceived)!.Value;
        if (page.Date is { } d)
        {
            s = Max(s, d - TimeSpan.FromSeconds(1))!.Value;
        }

        if (page.MaxReceived is { } received)
        {
            _clock.Observe(received, page.Timestamp);
        }

        if (page.Date is { } date)
        {
            _clock.ObserveDate(date, page.Timestamp);
        }

        return s;
    }

    // The API's times have whole milliseconds and the query formats them truncated: a start rounds down (reads a little
    // more), but an end must round *up*, or events in the end's own millisecond (before a sub-millisecond end such as
    // Until or a settle horizon) would be cut off. What the rounding lets in is filtered or deduplicated.
    private EventsQuery Query(DateTimeOffset? start, DateTimeOffset? end, int from, int size, EventSort sort)
    {
        DateTimeOffset? roundedEnd = end is { } e ? CeilingToMs(e) : null;
        return new()
        {
            Include = _options.Include,
            Exclude = _options.Exclude,
            Start = start,
            End = roundedEnd is { } re && start is { } s && re <= s ? CeilingToMs(s + OneMs) : roundedEnd,
            Sort = sort,
            From = from,
            Size = size,
        };
    }

    private static DateTimeOffset CeilingToMs(DateTimeOffset time)
    {
        long remainder = time.UtcTicks % TimeSpan.TicksPerMillisecond;
        return remainder == 0 || time.UtcTicks > DateTimeOffset.MaxValue.UtcTicks - TimeSpan.TicksPerMillisecond
            ? time
            : new DateTimeOffset(time.UtcTicks - remainder + TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }

    private async Task<PageScan> FetchAsync(EventsQuery query, CancellationToken cancellationToken)
    {
        DateTimeOffset? start = query.Start is { } s ? TruncateToMs(s) : null;
        DateTimeOffset? end = query.End is { } e ? TruncateToMs(e) : null;
        PageScan page = await _source.FetchAsync(query, s_parse, (this, start, end), OnRetry, cancellationToken).ConfigureAwait(false);
        Requests++;
        _requestRate.Add(_time.GetTimestamp());
        _startSeenInclusive |= page.SawEventAtQueryStart;
        _endSeenInclusive |= page.SawEventAtQueryEnd;
        if (page.Unreadable is { } unreadable)
        {
            Report(unreadable);
        }

        return page;
    }

    private void Report(List<UnreadableEvent> unreadable)
    {
        foreach (UnreadableEvent e in unreadable)
        {
            if (_reportedUnreadable.Count >= 10_000)
            {
                _reportedUnreadable.Clear(); // bounded: at worst an old one is reported twice
            }

            if (_reportedUnreadable.Add(e.Json))
            {
                Unreadable++;
                OnUnreadable?.Invoke(e);
            }
        }
    }

    private static readonly PageParser<(FeedEngine Engine, DateTimeOffset? QueryStart, DateTimeOffset? QueryEnd), PageScan> s_parse = Parse;

    // Runs inside the client's attempt, on the pooled body: reads headers, drops duplicates without allocating,
    // materializes the rest. Reads engine state but changes none of it, so a failed attempt leaves no trace.
    private static PageScan Parse(ReadOnlySpan<byte> body, in ResponseInfo info, (FeedEngine Engine, DateTimeOffset? QueryStart, DateTimeOffset? QueryEnd) state)
    {
        FeedEngine engine = state.Engine;
        var page = new PageScan { Date = info.Date, Timestamp = engine._time.GetTimestamp(), SentTimestamp = info.SentTimestamp };
        engine._pageIds.Clear();
        DateTimeOffset keepFrom = engine.KeepFrom;
        engine._unreadable.Clear();
        var reader = new EventPageReader(body, default, engine._bytes, engine._strings, engine._unreadable);
        while (reader.MoveNext())
        {
            EventHeader header = reader.Header;
            DateTimeOffset time = header.EventTime;
            page.Count++;
            page.First ??= time;
            page.AtLast = page.Last == time ? page.AtLast + 1 : 1;
            page.Last = time;
            if (header.ReceivedTime is { } received && (page.MaxReceived is null || received > page.MaxReceived))
            {
                page.MaxReceived = received;
            }

            if (state.QueryStart is { } qs && time == qs)
            {
                page.SawEventAtQueryStart = true;
            }

            if (state.QueryEnd is { } qe && time == qe)
            {
                page.SawEventAtQueryEnd = true;
            }

            if (engine._dedupe.Contains(reader.IdKey()) || time < keepFrom)
            {
                page.Duplicates++;
                continue;
            }

            if ((engine._floor is { } floor && time < floor) || (engine._options.Until is { } until && time >= until))
            {
                continue;
            }

            IntileryEvent e = reader.Materialize(engine._options.Catalog);
            if (!engine._pageIds.Add(e.Key))
            {
                page.Duplicates++;
                continue;
            }

            page.Accepted.Add(e);
        }

        page.Total = reader.Total;
        engine._bytes.Reset(); // the last chunk now belongs to the page's events alone: an idle feed holds none of it
        if (engine._unreadable.Count > 0)
        {
            page.Count += engine._unreadable.Count; // they hold places in the page: `from` offsets count them
            page.Unreadable = new List<UnreadableEvent>(engine._unreadable.Count);
            foreach (UnreadableEventInfo u in engine._unreadable)
            {
                page.Unreadable.Add(new UnreadableEvent(u.Reason, info.RequestId, u.Start, System.Text.Encoding.UTF8.GetString(body.Slice(u.Start, u.Length))));
            }
        }

        return page;
    }

    private static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b)
        => a is null ? b : b is null ? a : (a > b ? a : b);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private sealed class SweepPass(DateTimeOffset from, DateTimeOffset end)
    {
        public DateTimeOffset From { get; set; } = from;

        public DateTimeOffset End { get; } = end;

        public int Offset { get; set; }

        public bool NoOverlap { get; set; }

        /// <summary>Events the feed knew in the current query's range when its first page was asked for.</summary>
        public long Known { get; set; }

        /// <summary>Events in that range the pass has found since.</summary>
        public long Found { get; set; }
    }
}
