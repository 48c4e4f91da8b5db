using EventStream.Api;
using static EventStream.Feed.Internal.EventTimes;

namespace EventStream.Feed.Internal;

/// <summary>
/// The head scan: reads new events oldest first. <c>sort=asc</c>, <c>start = cursor − 1 ms</c>, <c>from</c> advancing;
/// at the 10,000 window's end the cursor moves to the last event time read and <c>from</c> restarts at 0. Held back:
/// nothing newer than the server's clock less HoldBack is asked for, so what is still being indexed is not passed.
/// </summary>
internal sealed class HeadScan(FeedOptions options, ServerBounds bounds)
{
    /// <summary>The current window's start; null: from the beginning.</summary>
    private DateTimeOffset? _cursor;

    /// <summary>The offset of the next page in the current window.</summary>
    private int _from;

    /// <summary>The last event time read in the current window (null at its start).</summary>
    private DateTimeOffset? _windowLast;

    /// <summary>A dense millisecond on a server seen to treat start as inclusive: the window starts at the cursor itself.</summary>
    private bool _noOverlap;

    /// <summary>The hold-back bound of the request asked for and not yet applied (null: none).</summary>
    private DateTimeOffset? _pendingHeldTo;

    /// <summary>The end of the request asked for and not yet applied (null: none).</summary>
    private DateTimeOffset? _pendingEnd;

    public DateTimeOffset? Cursor => _cursor;

    /// <summary>The last event time the head has read.</summary>
    public DateTimeOffset? LastRead { get; private set; }

    /// <summary>The head has read (once) every event visible before this.</summary>
    public DateTimeOffset Covered { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>The head's last read reached the newest event.</summary>
    public bool AtEnd { get; private set; }

    /// <summary>The head has read everything before Until.</summary>
    public bool Done { get; private set; }

    /// <summary>Starts the scan at <paramref name="cursor"/> (null: from the beginning).</summary>
    public void StartAt(DateTimeOffset? cursor) => _cursor = cursor;

    /// <summary>Whether a head read is due at <paramref name="now"/>: at once while catching up, when paced once live.</summary>
    public bool IsDue(long now, PollPacer pacer) => !Done && (!AtEnd || pacer.IsDue(now));

    /// <summary>The next head query, at <paramref name="now"/>.</summary>
    public EventsQuery Plan(FeedInstant now, ServerClock clock)
    {
        DateTimeOffset? queryStart = _cursor is { } c ? (_noOverlap ? c : c - OneMs) : null;

        // The server's clock is taken as the later of the local clock and what responses proved (a local clock that runs
        // ahead only shortens the hold-back); before the cursor is that far behind, only its millisecond is read.
        DateTimeOffset? heldTo = clock.IsKnown && options.HoldBack > TimeSpan.Zero ? Max(clock.At(now.Timestamp), now.UtcNow)!.Value - options.HoldBack : null;
        if (heldTo is { } h && queryStart is { } qs && h <= qs)
        {
            heldTo = qs + OneMs;
        }

        DateTimeOffset? end = options.Until is { } u && heldTo is { } held ? Min(u, held) : options.Until ?? heldTo;
        (_pendingHeldTo, _pendingEnd) = (heldTo, end);
        return bounds.Query(queryStart, end, _from, options.PageSize, EventSort.Ascending);
    }

    /// <summary>
    /// Moves the scan past <paramref name="page"/>, the answer to the last <see cref="Plan"/>, read when the server's
    /// clock was at least <paramref name="serverTime"/> (everything before <paramref name="settled"/> had settled).
    /// <paramref name="live"/>: the head has reached the end before.
    /// </summary>
    public HeadRead Apply(PageScan page, DateTimeOffset serverTime, DateTimeOffset settled, bool live)
    {
        (DateTimeOffset? heldTo, DateTimeOffset? end) = (_pendingHeldTo, _pendingEnd);
        DateTimeOffset coverageStart = _from == 0 ? (_cursor ?? DateTimeOffset.MinValue) : (_windowLast ?? _cursor ?? DateTimeOffset.MinValue);
        LastRead = Max(LastRead, page.Last);
        long? remaining = page.Total is { } total ? Math.Max(0, total - _from - page.Count) : null;

        // A full page is the end too when the API's total says nothing follows it (a total that may be capped, like
        // Elasticsearch's 10,000, is not trusted): that saves the empty request that would otherwise end each poll.
        // Live, less than a page left is left for the next poll (due within PollInterval), which reads it with what
        // comes meanwhile in one request, unless the page's last millisecond holds too much of it to restart there.
        long? unread = page.Total < EventsQuery.ResultWindow ? remaining : null;
        bool more = page.Count == options.PageSize && unread is not 0
            && !(live && unread < options.PageSize && page.AtLast < options.PageSize / 2);
        if (more)
        {
            DateTimeOffset last = page.Last!.Value;
            _windowLast = last;
            Covered = Max(Covered, last)!.Value;
            _from += page.Count;
            AtEnd = false;
            if (_from + options.PageSize > EventsQuery.ResultWindow)
            {
                bounds.RestartWindow(ref _cursor, ref _from, ref _noOverlap, last);
                _windowLast = null;
            }

            return new HeadRead(AtEnd: false, coverageStart, Min(last, settled), remaining, unread);
        }

        DateTimeOffset covered = Max(page.Last, serverTime)!.Value;
        if (end is { } e)
        {
            covered = Min(covered, e);
        }

        if (options.Until is { } until)
        {
            Done |= serverTime >= until && (heldTo is null || heldTo >= until);
        }

        Covered = Max(Covered, covered)!.Value;
        if ((page.Last ?? _windowLast) is { } restartAt)
        {
            _cursor = restartAt;
        }

        _from = 0;
        _windowLast = null;
        _noOverlap = false;
        AtEnd = true;
        return new HeadRead(AtEnd: true, coverageStart, Min(settled, covered), remaining, unread);
    }
}

/// <summary>What one head read did.</summary>
/// <param name="AtEnd">It reached the newest event (or, live, the end less a part page).</param>
/// <param name="CoverageStart">Where the read's coverage began: the sweep may skip ahead only if it had reached it.</param>
/// <param name="FinalTo">Everything the read covered before this had already settled: it is final.</param>
/// <param name="Remaining">Events the API's total says follow the page.</param>
/// <param name="Unread">The same, when the total is below the window (so not capped).</param>
internal readonly record struct HeadRead(bool AtEnd, DateTimeOffset CoverageStart, DateTimeOffset FinalTo, long? Remaining, long? Unread);
