using static EventStream.Feed.Internal.EventTimes;

namespace EventStream.Feed.Internal;

/// <summary>
/// A lower bound on the API server's clock, never the local wall clock: the newest <c>receivedTime</c> seen (and the
/// response's <c>Date</c>, less a second of margin) plus the local monotonic time elapsed since it was seen.
/// </summary>
internal sealed class ServerClock(TimeProvider time)
{
    private static readonly TimeSpan DateMargin = TimeSpan.FromSeconds(1);

    /// <summary>The latest proven server time (MinValue: none yet).</summary>
    private DateTimeOffset _anchor = DateTimeOffset.MinValue;

    /// <summary>The local monotonic timestamp at which <see cref="_anchor"/> was proven.</summary>
    private long _anchorTimestamp;

    public bool IsKnown => _anchor != DateTimeOffset.MinValue;

    public DateTimeOffset Now => IsKnown ? _anchor + time.GetElapsedTime(_anchorTimestamp) : DateTimeOffset.MinValue;

    /// <summary>The lower bound at an earlier or later local timestamp (local and server clocks run at the same rate).</summary>
    public DateTimeOffset At(long localTimestamp) => IsKnown ? _anchor + time.GetElapsedTime(_anchorTimestamp, localTimestamp) : DateTimeOffset.MinValue;

    /// <summary>Records that the server's clock was at least <paramref name="serverTime"/> at <paramref name="localTimestamp"/>.</summary>
    public void Observe(DateTimeOffset serverTime, long localTimestamp)
    {
        DateTimeOffset candidateNow = serverTime + time.GetElapsedTime(localTimestamp);
        if (candidateNow > Now)
        {
            _anchor = serverTime;
            _anchorTimestamp = localTimestamp;
        }
    }

    public void ObserveDate(DateTimeOffset date, long localTimestamp) => Observe(date - DateMargin, localTimestamp);

    /// <summary>
    /// A lower bound of the server's clock when it evaluated <paramref name="page"/>'s query: the estimate at the moment
    /// the request was sent (not now: the response may have taken a while), the newest <c>receivedTime</c> in the page,
    /// and the <c>Date</c> header less a second. Then the page's observations update the clock.
    /// </summary>
    public DateTimeOffset Observe(PageScan page)
    {
        DateTimeOffset s = At(page.SentTimestamp);
        s = Max(s, page.MaxReceived)!.Value;
        if (page.Date is { } d)
        {
            s = Max(s, d - DateMargin)!.Value;
        }

        if (page.MaxReceived is { } received)
        {
            Observe(received, page.Timestamp);
        }

        if (page.Date is { } date)
        {
            ObserveDate(date, page.Timestamp);
        }

        return s;
    }
}
