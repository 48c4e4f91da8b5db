using System.Threading.RateLimiting;

namespace EventStream.Api.Internal;

/// <summary>
/// One token bucket per (auth token, rate, burst, clock), shared by every client that uses that token, so that
/// several feeds in one process together stay within the API's limit. Reference-counted: the bucket and its
/// replenishment timer go away with the last client.
/// </summary>
internal sealed class SharedRateLimiter : IDisposable
{
    private static readonly Dictionary<Key, SharedRateLimiter> s_limiters = [];

    private readonly Key _key;
    private readonly TokenBucketRateLimiter _bucket;
    private readonly ITimer _timer;
    private readonly Lock _replenishLock = new();
    private long _lastTimestamp;
    private double _owed;
    private int _refCount;

    private SharedRateLimiter(Key key)
    {
        _key = key;
        _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = key.Burst,
            TokensPerPeriod = 1,
            ReplenishmentPeriod = TimeSpan.FromTicks(Math.Max(1, TimeSpan.TicksPerSecond / key.RequestsPerSecond)),
            AutoReplenishment = false,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
        _lastTimestamp = key.TimeProvider.GetTimestamp();
        // Replenish from elapsed clock time, not tick count, so a late timer never lowers the rate.
        TimeSpan period = TimeSpan.FromMilliseconds(Math.Clamp(1000.0 / key.RequestsPerSecond, 5, 100));
        _timer = key.TimeProvider.CreateTimer(static s => ((SharedRateLimiter)s!).Replenish(), this, period, period);
    }

    /// <summary>The number of tokens available now.</summary>
    public long AvailableTokens => _bucket.GetStatistics()?.CurrentAvailablePermits ?? 0;

    /// <summary>Gets (or creates) the bucket for a token; dispose the result when the client is disposed.</summary>
    public static SharedRateLimiter Rent(string authToken, int requestsPerSecond, int burst, TimeProvider timeProvider)
    {
        var key = new Key(authToken, requestsPerSecond, burst, timeProvider);
        lock (s_limiters)
        {
            if (!s_limiters.TryGetValue(key, out SharedRateLimiter? limiter))
            {
                limiter = new SharedRateLimiter(key);
                s_limiters.Add(key, limiter);
            }

            limiter._refCount++;
            return limiter;
        }
    }

    /// <summary>Waits for one token.</summary>
    public async ValueTask AcquireAsync(CancellationToken cancellationToken)
    {
        using RateLimitLease lease = await _bucket.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        if (!lease.IsAcquired)
        {
            throw new InvalidOperationException("The rate limiter's queue is full.");
        }
    }

    public void Dispose()
    {
        lock (s_limiters)
        {
            if (--_refCount > 0)
            {
                return;
            }

            s_limiters.Remove(_key);
        }

        _timer.Dispose();
        _bucket.Dispose();
    }

    private void Replenish()
    {
        lock (_replenishLock)
        {
            long now = _key.TimeProvider.GetTimestamp();
            _owed += _key.TimeProvider.GetElapsedTime(_lastTimestamp, now).TotalSeconds * _key.RequestsPerSecond;
            _lastTimestamp = now;
            int whole = (int)Math.Min(_owed, _key.Burst);
            _owed = Math.Min(_owed - whole, 1);
            for (int i = 0; i < whole; i++)
            {
                _bucket.TryReplenish();
            }
        }
    }

    private readonly record struct Key(string AuthToken, int RequestsPerSecond, int Burst, TimeProvider TimeProvider)
    {
        // The token is part of the key only; records print their members, so keep it out of ToString.
        public override string ToString() => $"{RequestsPerSecond}/s burst {Burst}";
    }
}
