using System.Collections.Concurrent;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;

namespace EventStream.Nats;

/// <summary>
/// When the relay's next renewal round should run: after the usual interval, or sooner — just after another relay's
/// lease or membership lapses (it was last written a lease time ago), or at once when one is deleted (a relay released a
/// feed or stopped). Without it a dead relay's feeds were taken up to a whole interval after their leases expired (12.5 s
/// with a 10 s lease, measured); with it, a quarter of a second after.
/// </summary>
/// <remarks>
/// Watches the leases and members buckets and notes, by this process's clock, when each key was last seen written (the
/// bucket's age limit removes a key a lease time after its last write, and says nothing when it does). Seen late (the
/// watch starting, or lagging) only makes a wake-up late, and a round that runs too early finds the lease still held and
/// changes nothing: the rounds decide, this only times them. If the watch fails, it starts again after an interval, and
/// the rounds run on their interval meanwhile.
/// </remarks>
internal sealed class LeaseWatch : IAsyncDisposable
{
    // Past a key's expiry, the rounds to run: the server's age check may lag its deadline a little.
    private static readonly TimeSpan[] AfterExpiry = [TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1)];
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    private readonly ConcurrentDictionary<string, long> _leases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _members = new(StringComparer.Ordinal);
    private readonly TimeSpan _leaseTime;
    private readonly TimeSpan _every;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _watches;
    private CancellationTokenSource _wake = new();

    public LeaseWatch(INatsKVStore leases, INatsKVStore members, TimeSpan leaseTime, TimeSpan every, TimeProvider time)
    {
        _leaseTime = leaseTime;
        _every = every;
        _time = time;
        _watches = [Task.Run(() => WatchAsync(leases, _leases)), Task.Run(() => WatchAsync(members, _members))];
    }

    /// <summary>
    /// Waits for the next round: <c>every</c> after <paramref name="roundStarted"/>, or sooner when a lease or member
    /// that is not this relay's lapses after that time, or when one is deleted.
    /// </summary>
    public async Task WaitAsync(long roundStarted, Func<string, bool> isOwnLease, string me, CancellationToken cancellationToken)
    {
        TimeSpan delay = _every - _time.GetElapsedTime(roundStarted);
        foreach ((string key, long written) in _leases)
        {
            if (!isOwnLease(key))
            {
                delay = Earlier(delay, written, roundStarted);
            }
        }

        foreach ((string key, long written) in _members)
        {
            if (key != me)
            {
                delay = Earlier(delay, written, roundStarted);
            }
        }

        CancellationTokenSource wake = Volatile.Read(ref _wake);
        if (delay > TimeSpan.Zero && !wake.IsCancellationRequested)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, wake.Token);
            try
            {
                await Task.Delay(delay, _time, linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // woken: a key was deleted
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (wake.IsCancellationRequested)
        {
            Interlocked.CompareExchange(ref _wake, new CancellationTokenSource(), wake); // not disposed: the watch may cancel it still
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_watches).ConfigureAwait(false);
        _stop.Dispose();
    }

    // The delay until the first of the key's wake-ups that falls after the round started, if sooner than `delay`.
    private TimeSpan Earlier(TimeSpan delay, long written, long roundStarted)
    {
        foreach (TimeSpan after in AfterExpiry)
        {
            long at = written + (long)((_leaseTime + after).TotalSeconds * _time.TimestampFrequency); // a timestamp
            if (at > roundStarted)
            {
                TimeSpan wait = _time.GetElapsedTime(_time.GetTimestamp(), at);
                return wait < delay ? wait : delay;
            }
        }

        return delay;
    }

    private async Task WatchAsync(INatsKVStore bucket, ConcurrentDictionary<string, long> written)
    {
        CancellationToken stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await foreach (NatsKVEntry<byte[]> entry in bucket.WatchAsync(Raw, new NatsKVWatchOpts { MetaOnly = true }, stop).ConfigureAwait(false))
                {
                    if (entry.Operation is NatsKVOperation.Del or NatsKVOperation.Purge)
                    {
                        written.TryRemove(entry.Key, out _);
                        Volatile.Read(ref _wake).Cancel();
                    }
                    else
                    {
                        written[entry.Key] = _time.GetTimestamp();
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                // Whatever stopped the watch (an outage, a bucket recreated), the rounds go on by their interval, which
                // the relay reports on when they fail; watch again after one.
            }

            try
            {
                await Task.Delay(_every, _time, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
