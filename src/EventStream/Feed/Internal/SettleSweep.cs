using EventStream.Api;
using static EventStream.Feed.Internal.EventTimes;

namespace EventStream.Feed.Internal;

/// <summary>
/// The settle sweep: every time range the head read before it had settled (server clock − MaxLateness) is read once
/// more after it has; ranges the head read when already settled are final and skipped, so catching up an old backlog
/// costs one read per event, and live reading at most two. A pass reads one slice; its first page also brings the
/// API's total for the slice: when that equals the events the feed already knows there (and those the pass has found
/// since), nothing is missing and the rest of the slice need not be read, so a quiet slice costs one request however
/// many events it holds. Without a total, or while events are missing, the pass pages through the slice as the head does.
/// </summary>
internal sealed class SettleSweep(FeedOptions options, ServerBounds bounds, DedupeWindow dedupe)
{
    // A slice holds at most about this many known events, so that the API's total for it stays exact (an
    // Elasticsearch-like server stops counting at 10,000) and one request can confirm it.
    internal const int SliceMaxEvents = 5_000;

    /// <summary>The pass under way (null: none).</summary>
    private SweepPass? _pass;

    /// <summary>Every event before it is final: read after it had settled.</summary>
    public DateTimeOffset Position { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>Requests the sweep has made.</summary>
    public long Requests { get; private set; }

    public bool InPass => _pass is not null;

    /// <summary>Where the pass under way reads from again (its ids must be kept), if one is.</summary>
    public DateTimeOffset? PassFrom => _pass?.From;

    public void StartAt(DateTimeOffset position) => Position = position;

    /// <summary>Events before this had time to become visible at server time <paramref name="serverTime"/> (MinValue: not known yet).</summary>
    public DateTimeOffset Settled(DateTimeOffset serverTime) => serverTime == DateTimeOffset.MinValue ? serverTime : serverTime - options.MaxLateness;

    /// <summary>Everything before this has settled (at server time <paramref name="serverNow"/>) and the head has read it once.</summary>
    public DateTimeOffset Limit(DateTimeOffset serverNow, DateTimeOffset headCovered)
    {
        DateTimeOffset limit = Min(Settled(serverNow), headCovered);
        return options.Until is { } until ? Min(limit, until) : limit;
    }

    // A settle read covers at least this much time, so that idle and slow feeds pay about one sweep request per slice
    // (a quarter of MaxLateness: late events are found at most that much after they have settled); on a feed busier
    // than a page per poll (events per second <paramref name="liveRate"/>), at least half of SliceMaxEvents, so that the
    // sweep costs ≤ 0.04 requests per 100 events.
    public TimeSpan MinSpan(double liveRate)
    {
        long ticks = Math.Max(TimeSpan.TicksPerSecond, Math.Max(options.PollInterval.Ticks, options.MaxLateness.Ticks / 4));
        if (liveRate > options.PageSize / options.PollInterval.TotalSeconds)
        {
            ticks = Math.Max(ticks, (long)(SliceMaxEvents / 2 / liveRate * TimeSpan.TicksPerSecond));
        }

        return TimeSpan.FromTicks(ticks);
    }

    /// <summary>
    /// Starts a pass up to <paramref name="limit"/> if one is due: a whole slice has settled, or the feed is finishing
    /// (<paramref name="finishing"/>: Until reached by the head, or caught up to <paramref name="target"/>).
    /// </summary>
    public void StartPassIfDue(DateTimeOffset limit, double liveRate, bool finishing, DateTimeOffset? target)
    {
        if (_pass is not null || limit <= Position)
        {
            return;
        }

        // Finishing: one pass that reaches the target, not a pass per step while time creeps on.
        if (limit - Position >= MinSpan(liveRate) || finishing || (target is { } t && limit > t))
        {
            _pass = new SweepPass(Position, dedupe.EndAfter(Position, limit, SliceMaxEvents));
        }
    }

    /// <summary>How long after server time <paramref name="serverNow"/> the next slice settles (or the target is passed).</summary>
    public TimeSpan UntilNextSlice(DateTimeOffset serverNow, double liveRate, DateTimeOffset? target)
    {
        DateTimeOffset due = Position + MinSpan(liveRate);
        if (target is { } t && t + OneMs < due)
        {
            due = t + OneMs;
        }

        return due - Settled(serverNow);
    }

    /// <summary>The next query of the pass under way.</summary>
    public EventsQuery Plan()
    {
        SweepPass pass = _pass ?? throw new InvalidOperationException("No sweep pass is under way.");
        DateTimeOffset? queryStart = pass.From == DateTimeOffset.MinValue ? null : (pass.NoOverlap ? pass.From : pass.From - OneMs);
        EventsQuery query = bounds.Query(queryStart, pass.End, pass.Offset, options.PageSize, EventSort.Ascending);
        (pass.CountFrom, pass.CountTo) = bounds.CountedRange(query);
        if (pass.Offset == 0)
        {
            pass.Known = dedupe.CountBetween(pass.CountFrom, pass.CountTo);
            pass.Found = 0;
        }

        return query;
    }

    /// <summary>Moves the pass past <paramref name="page"/>, the answer to the last <see cref="Plan"/> (its events already taken in).</summary>
    public void Apply(PageScan page)
    {
        SweepPass pass = _pass ?? throw new InvalidOperationException("No sweep pass is under way.");
        Requests++;
        foreach (Parsing.IntileryEvent e in page.Accepted)
        {
            if (e.EventTime >= pass.CountFrom && e.EventTime < pass.CountTo)
            {
                pass.Found++;
            }
        }

        bool confirmed = page.Total is { } total && total <= pass.Known + pass.Found;
        if (page.Count == options.PageSize && !confirmed)
        {
            DateTimeOffset last = page.Last!.Value;
            Position = Max(Position, last)!.Value;
            pass.Offset += page.Count;
            if (pass.Offset + options.PageSize > EventsQuery.ResultWindow)
            {
                DateTimeOffset? from = pass.From == DateTimeOffset.MinValue ? null : pass.From;
                int offset = pass.Offset;
                bool noOverlap = pass.NoOverlap;
                bounds.RestartWindow(ref from, ref offset, ref noOverlap, last);
                (pass.From, pass.Offset, pass.NoOverlap) = (from!.Value, offset, noOverlap);
            }
        }
        else
        {
            Position = Max(Position, pass.End)!.Value;
            _pass = null;
        }
    }

    /// <summary>
    /// A head read found everything before <paramref name="finalTo"/> already settled: if the sweep had reached where
    /// that read's coverage began (<paramref name="coverageStart"/>), it moves on without reading it again.
    /// </summary>
    public void SkipSettled(DateTimeOffset coverageStart, DateTimeOffset finalTo)
    {
        if (Position >= coverageStart)
        {
            Position = Max(Position, finalTo)!.Value;
        }
    }

    private sealed class SweepPass(DateTimeOffset from, DateTimeOffset end)
    {
        public DateTimeOffset From { get; set; } = from;

        public DateTimeOffset End { get; } = end;

        public int Offset { get; set; }

        public bool NoOverlap { get; set; }

        /// <summary>The event times the current query's total counts.</summary>
        public DateTimeOffset CountFrom { get; set; }

        public DateTimeOffset CountTo { get; set; }

        /// <summary>Events the feed knew in the current query's range when its first page was asked for.</summary>
        public long Known { get; set; }

        /// <summary>Events in that range the pass has found since.</summary>
        public long Found { get; set; }
    }
}
