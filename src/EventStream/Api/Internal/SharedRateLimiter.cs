namespace EventStream.Api.Internal;

/// <summary>
/// One token bucket per (auth token, rate, burst, clock), shared by every client that uses that token, so that
/// several feeds in one process together stay within the API's limit. Reference-counted: it goes away with the last client.
/// </summary>
/// <remarks>
/// A continuous bucket on <see cref="TimeProvider"/> rather than System.Threading.RateLimiting's
/// <c>TokenBucketRateLimiter</c>: that one reads the Stopwatch even when replenished by hand, so it cannot run on a
/// fake clock, and its timer-driven refill credits time in whole periods. Waiters queue in FIFO order on a semaphore;
/// the one at the head sleeps exactly until its token is due.
/// Two things keep the client's bucket from running ahead of the server's. The server starts draining only when
/// the first request arrives, and that one is slow (connection set-up, a cold server); so refilling starts only once
/// the first response is back (<see cref="OnResponse"/>). And the bucket holds a few tokens fewer than the server's
/// burst, so that later jitter (requests sent in order but arriving bunched) never becomes a 429.
/// </remarks>
internal sealed class SharedRateLimiter : IDisposable
{
    private static readonly Dictionary<Key, SharedRateLimiter> s_limiters = [];

    private readonly Key _key;
    private readonly double _capacity;
    private readonly SemaphoreSlim _queue = new(1, 1);
    private readonly Lock _lock = new();
    private double _tokens;
    private long _last;
    private bool _refilling;
    private int _refCount;

    private SharedRateLimiter(Key key)
    {
        _key = key;
        _capacity = key.Burst - Reserve(key.Burst);
        _tokens = _capacity;
        _last = key.TimeProvider.GetTimestamp();
    }

    /// <summary>Tokens held back from the server's burst to absorb jitter: 5% of it, at least 1 and at most 5 (none for a burst of 1).</summary>
    public static int Reserve(int burst) => burst < 2 ? 0 : Math.Clamp(burst / 20, 1, 5);

    /// <summary>The number of whole tokens available now.</summary>
    public long AvailableTokens
    {
        get
        {
            lock (_lock)
            {
                Refill();
                return (long)Math.Floor(_tokens + 1e-9);
            }
        }
    }

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

    /// <summary>Called when a response (any status) has arrived: from the first one on, the bucket refills.</summary>
    public void OnResponse()
    {
        if (!Volatile.Read(ref _refilling))
        {
            lock (_lock)
            {
                _last = _key.TimeProvider.GetTimestamp();
                _refilling = true;
            }
        }
    }

    /// <summary>
    /// The server said 429: its bucket is empty, whatever ours thinks (another process may share the token). Empty
    /// ours too, so that every request queued here waits for the refill instead of earning its own 429.
    /// </summary>
    public void OnRateLimited()
    {
        lock (_lock)
        {
            Refill();
            _tokens = Math.Min(_tokens, 0);
        }
    }

    /// <summary>Waits for one token (FIFO among waiters).</summary>
    public ValueTask AcquireAsync(CancellationToken cancellationToken)
    {
        // Fast path: nobody queued and a token is there.
        if (_queue.Wait(0, CancellationToken.None))
        {
            bool taken;
            try
            {
                taken = TryTake(out _);
            }
            finally
            {
                _queue.Release();
            }

            if (taken)
            {
                return ValueTask.CompletedTask;
            }
        }

        return WaitAsync(cancellationToken);
    }

    private async ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        await _queue.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (!TryTake(out TimeSpan wait))
            {
                await Task.Delay(wait, _key.TimeProvider, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _queue.Release();
        }
    }

    private bool TryTake(out TimeSpan wait)
    {
        lock (_lock)
        {
            Refill();
            if (_tokens >= 1 - 1e-9)
            {
                _tokens -= 1;
                wait = TimeSpan.Zero;
                return true;
            }

            // Round up to whole milliseconds: timers truncate to them, and a sub-millisecond wait would fire at once
            // and spin (measured: 0.35 of a core burnt while waiting at 100 requests/s).
            wait = TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling((1 - _tokens) / _key.RequestsPerSecond * 1000)));
            return false;
        }
    }

    private void Refill()
    {
        long now = _key.TimeProvider.GetTimestamp();
        if (_refilling)
        {
            _tokens = Math.Min(_capacity, _tokens + (_key.TimeProvider.GetElapsedTime(_last, now).TotalSeconds * _key.RequestsPerSecond));
        }

        _last = now;
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
    }

    private readonly record struct Key(string AuthToken, int RequestsPerSecond, int Burst, TimeProvider TimeProvider)
    {
        // The token is part of the key only; records print their members, so keep it out of ToString.
        public override string ToString() => $"{RequestsPerSecond}/s burst {Burst}";
    }
}
