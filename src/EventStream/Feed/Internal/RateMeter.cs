namespace EventStream.Feed.Internal;

/// <summary>
/// Counts occurrences per second of local monotonic time over the last minute, so that a feed can report the
/// requests per second it spends now (not averaged over its whole life). Thread-safe: one writer, any readers.
/// </summary>
internal sealed class RateMeter(TimeProvider time)
{
    private const int Seconds = 60;
    private readonly Lock _lock = new();
    private readonly long[] _counts = new long[Seconds];
    private readonly long[] _secondOf = new long[Seconds];
    private readonly long _origin = time.GetTimestamp();

    public void Add(long timestamp)
    {
        long second = Second(timestamp);
        lock (_lock)
        {
            int slot = (int)(second % Seconds);
            if (_secondOf[slot] != second)
            {
                _secondOf[slot] = second;
                _counts[slot] = 0;
            }

            _counts[slot]++;
        }
    }

    /// <summary>Occurrences per second over the last minute (or since the meter started, if that is shorter).</summary>
    public double PerSecond()
    {
        long now = Second(time.GetTimestamp());
        long sum = 0;
        lock (_lock)
        {
            for (int i = 0; i < Seconds; i++)
            {
                if (_secondOf[i] > now - Seconds && _secondOf[i] <= now)
                {
                    sum += _counts[i];
                }
            }
        }

        double window = Math.Min(Seconds, time.GetElapsedTime(_origin).TotalSeconds);
        return window < 1 ? sum : sum / window;
    }

    // Seconds since the meter started, counted from 1 so that an untouched slot (second 0) is never current.
    private long Second(long timestamp) => 1 + (long)time.GetElapsedTime(_origin, timestamp).TotalSeconds;
}
