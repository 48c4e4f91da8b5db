using static EventStream.Feed.Internal.EventTimes;

namespace EventStream.Feed.Internal;

/// <summary>
/// When the head is polled again once it has reached the newest event, and how fast events come meanwhile. Normally
/// PollInterval after the last poll that reached the end. On a feed busier than a page per interval, as soon as about
/// one page (97%, counting what is left unread and the overlap read again) is expected at the server's answer, so that
/// each poll is one full request instead of several pages and a short one; events wait at most PollInterval either way.
/// </summary>
internal sealed class PollPacer(FeedOptions options)
{
    private readonly TimeProvider _time = options.TimeProvider;

    /// <summary>Local timestamp of the request of the last poll that reached the end: the next is due <see cref="_wait"/> later.</summary>
    private long _polledAt;

    /// <summary>How long after <see cref="_polledAt"/> the next head poll is due.</summary>
    private TimeSpan _wait;

    /// <summary>Events the head has read since it last reached the end.</summary>
    private int _cycleEvents;

    /// <summary>The head has reached the end at least once (the feed is live).</summary>
    public bool IsLive { get; private set; }

    /// <summary>Events per second the head read in its last poll cycle, once live (0 before).</summary>
    public double LiveRate { get; private set; }

    /// <summary>Whether the next poll is due at local timestamp <paramref name="now"/>.</summary>
    public bool IsDue(long now) => _time.GetElapsedTime(_polledAt, now) >= _wait;

    /// <summary>How long after <paramref name="now"/> the next poll is due (negative: overdue).</summary>
    public TimeSpan DueIn(long now) => _wait - _time.GetElapsedTime(_polledAt, now);

    /// <summary>Counts events the head has read in the current cycle.</summary>
    public void Count(int events) => _cycleEvents += events;

    /// <summary>
    /// The head reached the end (or, live, the end less a part page, <paramref name="unread"/> events left): note how
    /// fast events came, and when to poll next.
    /// </summary>
    public void EndOfCycle(PageScan page, long unread)
    {
        bool wasLive = IsLive;
        TimeSpan cycle = wasLive ? _time.GetElapsedTime(_polledAt, page.SentTimestamp) : TimeSpan.Zero;
        IsLive = true;
        _polledAt = page.SentTimestamp;
        _wait = options.PollInterval;
        if (wasLive && cycle > TimeSpan.Zero && cycle <= options.PollInterval + options.PollInterval)
        {
            LiveRate = _cycleEvents / cycle.TotalSeconds;
            double room = (0.97 * options.PageSize) - unread - page.AtLast;
            TimeSpan latency = _time.GetElapsedTime(page.SentTimestamp, page.Timestamp);
            TimeSpan toFillAPage = TimeSpan.FromSeconds(Math.Max(0, room) / Math.Max(LiveRate, 1e-9)) - latency;
            if (toFillAPage < _wait)
            {
                _wait = toFillAPage < OneMs ? OneMs : toFillAPage;
            }
        }

        _cycleEvents = 0;
    }
}
