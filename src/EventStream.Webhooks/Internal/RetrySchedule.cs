namespace EventStream.Webhooks.Internal;

/// <summary>All retry delay math in one place: the schedule's step, jittered, and a server's <c>Retry-After</c>.</summary>
internal static class RetrySchedule
{
    /// <summary>
    /// The delay before attempt <paramref name="attempt"/> + 1 after <paramref name="attempt"/> attempts failed, or null
    /// when the schedule is spent. The step is spread by ±<paramref name="jitter"/> of itself (so that many events failing
    /// together do not retry together); a later <c>Retry-After</c> wins.
    /// </summary>
    public static TimeSpan? Next(IReadOnlyList<TimeSpan> schedule, int attempt, double jitter, TimeSpan? retryAfter, double random)
    {
        if (attempt >= schedule.Count)
        {
            return null;
        }

        TimeSpan step = schedule[attempt];
        TimeSpan jittered = TimeSpan.FromTicks((long)(step.Ticks * (1 + jitter * ((random * 2) - 1))));
        return retryAfter is { } after && after > jittered ? after : jittered;
    }
}
