namespace EventStream.Feed.Internal;

/// <summary>
/// A lower bound on the API server's clock, never the local wall clock: the newest <c>receivedTime</c> seen (and the
/// response's <c>Date</c>, less a second of margin) plus the local monotonic time elapsed since it was seen.
/// </summary>
internal sealed class ServerClock(TimeProvider time)
{
    private static readonly TimeSpan DateMargin = TimeSpan.FromSeconds(1);
    private DateTimeOffset _anchor = DateTimeOffset.MinValue;
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
}
