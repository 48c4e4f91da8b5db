using EventStream.Api;
using EventStream.Checkpoints;
using EventStream.Parsing;
using static EventStream.Feed.Internal.EventTimes;

namespace EventStream.Feed.Internal;

/// <summary>
/// Where the feed starts: from a checkpoint (its filters must match), from the beginning, at a time — all known without
/// a request — or from the latest N events (and Now, as N = 0), read newest first and delivered oldest first, the head
/// going on from the newest. A read of the latest that fails part way begins again (<see cref="Reset"/>).
/// </summary>
internal sealed class StartRead(FeedOptions options, ServerBounds bounds, DedupeWindow dedupe, FeedCheckpoint? resumeFrom, string queryKey)
{
    /// <summary>The latest events read so far, newest first.</summary>
    private readonly List<IntileryEvent> _newestFirst = [];

    /// <summary>The newest event time, once the first page has been read.</summary>
    private DateTimeOffset? _newest;

    /// <summary>What had settled when the first (newest) page was read: it bounds what is final.</summary>
    private DateTimeOffset _settledAtRead = DateTimeOffset.MinValue;

    /// <summary>The offset of the next page.</summary>
    private int _from;

    /// <summary>The end of every query of this read, fixed by its first (null: the read has not begun, or no end).</summary>
    private DateTimeOffset? _end;

    /// <summary>The read has begun: <see cref="_end"/> is fixed.</summary>
    private bool _begun;

    /// <summary>The size of the page asked for and not yet applied.</summary>
    private int _size;

    /// <summary>How many of the latest events are wanted (Now: 0); null: no read is needed.</summary>
    private readonly int? _latest = resumeFrom is null
        ? options.Start switch { FeedStart.BeginningStart or FeedStart.AtStart => null, FeedStart.LatestStart l => l.Count, _ => 0 }
        : null;

    /// <summary>The start needs requests (latest N, or Now).</summary>
    public bool NeedsReading => _latest is not null;

    /// <summary>The start position when it needs no request: from the checkpoint, the beginning or a time.</summary>
    public StartPosition Resolve()
    {
        if (resumeFrom is { } checkpoint)
        {
            if (checkpoint.Query != queryKey)
            {
                throw new FeedException($"The checkpoint was saved for other filters ({checkpoint.Query}) than this feed's ({queryKey}).");
            }

            foreach (SeenEvent seen in checkpoint.Seen)
            {
                dedupe.Add(seen.EventId, seen.EventTime);
            }

            return new StartPosition(checkpoint.Cursor, Floor: null, checkpoint.SweepPosition, checkpoint.HighWater, StepResult.NoEvents);
        }

        return options.Start is FeedStart.AtStart at
            ? new StartPosition(at.Time, at.Time, at.Time, HighWater: null, StepResult.NoEvents)
            : new StartPosition(Cursor: null, Floor: null, DateTimeOffset.MinValue, HighWater: null, StepResult.NoEvents);
    }

    /// <summary>The next query of the read of the latest events, at <paramref name="now"/>.</summary>
    public EventsQuery Plan(FeedInstant now)
    {
        int count = _latest ?? throw new InvalidOperationException("This start needs no read.");
        if (!_begun)
        {
            // Held back like the head (nothing newer than the clock less HoldBack), or the head would go on from an event
            // newer than some still being indexed, and those would come late through the sweep. The server's clock is
            // not known before its first answer: the local one stands in, as it does for the head.
            _end = options.Until;
            if (options.HoldBack > TimeSpan.Zero && now.UtcNow - options.HoldBack is var held && (_end is null || held < _end))
            {
                _end = held;
            }

            _begun = true;
        }

        _size = count == 0 ? options.PageSize : Math.Min(options.PageSize, count - _newestFirst.Count);
        return bounds.Query(start: null, end: _end, _from, _size, EventSort.Descending);
    }

    /// <summary>
    /// Takes in <paramref name="page"/>, the answer to the last <see cref="Plan"/> (read when everything before
    /// <paramref name="settled"/> had settled). Returns the start position once the read is done; null while it goes on.
    /// </summary>
    public StartPosition? Apply(PageScan page, DateTimeOffset settled)
    {
        int count = _latest ?? throw new InvalidOperationException("This start needs no read.");
        if (_from == 0)
        {
            // The newest events were read first, at the earliest time: that read bounds what is final.
            _settledAtRead = settled;
        }

        _newest ??= page.First;
        if (count == 0)
        {
            // Now: the events of the newest millisecond exist already; remember them so they are not delivered.
            foreach (IntileryEvent e in page.Accepted)
            {
                if (e.EventTime == _newest)
                {
                    dedupe.Add(e.Key, e.EventTime);
                }
            }

            return Finish(count);
        }

        _newestFirst.AddRange(page.Accepted);
        _from += page.Count;
        return page.Count < _size || _newestFirst.Count >= count || _from + options.PageSize > EventsQuery.ResultWindow
            ? Finish(count)
            : null;
    }

    /// <summary>Forgets a read of the latest events that failed part way: the next <see cref="Plan"/> begins it again.</summary>
    public void Reset()
    {
        _newestFirst.Clear();
        (_newest, _settledAtRead, _from, _end, _begun, _size) = (null, DateTimeOffset.MinValue, 0, null, false, 0);
    }

    private StartPosition Finish(int count)
    {
        var events = new List<IntileryEvent>(_newestFirst);
        events.Reverse();
        foreach (IntileryEvent e in events)
        {
            dedupe.Add(e.Key, e.EventTime);
        }

        DateTimeOffset? newest = _newest;
        DateTimeOffset oldest = events.Count > 0 ? events[0].EventTime : newest ?? DateTimeOffset.MinValue;
        DateTimeOffset sweep = count == 0 ? (newest ?? DateTimeOffset.MinValue) : Max(oldest, _settledAtRead) ?? oldest;
        Reset();
        return new StartPosition(newest, newest, sweep, newest, events);
    }
}

/// <summary>Where the feed starts, and the events the start itself delivers (the latest N).</summary>
internal readonly record struct StartPosition(DateTimeOffset? Cursor, DateTimeOffset? Floor, DateTimeOffset SweepPosition, DateTimeOffset? HighWater, List<IntileryEvent> Events);
