namespace EventStream.Feed.Internal;

/// <summary>The feed's one backoff: exponential from a base, capped, optionally with jitter (half to all of the delay).</summary>
internal static class Backoff
{
    /// <summary>The delay before attempt <paramref name="attempt"/> + 1, after <paramref name="attempt"/> failures (1 = first).</summary>
    public static TimeSpan Delay(int attempt, TimeSpan baseDelay, TimeSpan max, bool jitter = false, TimeSpan? retryAfter = null)
    {
        double seconds = Math.Min(max.TotalSeconds, baseDelay.TotalSeconds * Math.Pow(2, Math.Clamp(attempt - 1, 0, 30)));
        if (jitter)
        {
            seconds *= 0.5 + (Random.Shared.NextDouble() * 0.5);
        }

        TimeSpan delay = TimeSpan.FromSeconds(seconds);
        return retryAfter is { } after && after > delay ? after : delay;
    }
}
