namespace EventStream.Internal;

/// <summary>
/// The one backoff of every package: exponential from a base, capped, optionally with jitter (half to all of the
/// delay), and never sooner than a server's Retry-After. The client's retries (through Polly), the feed's own retries
/// after the client gives up, a consumer's retries, the checkpoint saver, and the NATS relay all take their delays from
/// here (EventStream.Nats and EventStream.Cli see it through InternalsVisibleTo, as Polly.Core shares its internals
/// with Polly.Extensions), so nothing else computes <c>Math.Pow(2, attempt)</c>.
/// </summary>
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
