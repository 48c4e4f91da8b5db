using System.Threading.Channels;
using EventStream.Checkpoints;
using Microsoft.Extensions.Logging;

namespace EventStream.Webhooks.Internal;

/// <summary>
/// The store the forwarder's feed saves to: it holds each checkpoint in the <see cref="AckLedger"/> and writes the newest
/// one whose events every route has acknowledged to the user's store, from one loop (so writes never overlap and the feed
/// never waits for a slow route). See <see cref="AckLedger"/> for why this is at-least-once.
/// </summary>
/// <remarks>
/// With a pending file (<see cref="WebhookForwarderOptions.PendingPath"/>), a checkpoint does not wait for a route's
/// retries for longer than <see cref="WebhookForwarderOptions.ParkAfter"/>, nor past a stop: the newest one held is saved
/// once the events it covers that routes still hold are in the pending file (written first, so a crash between the two
/// repeats them, never loses them). A restart delivers those first, then reads on from the checkpoint; a crash therefore
/// repeats at most what was taken within <c>ParkAfter</c> plus the feed's own bound, not everything since a route began
/// retrying. While the file holds anything, it is written again with the next checkpoint after one of its events is
/// acknowledged, so it shrinks as they go.
/// </remarks>
internal sealed class AcknowledgingCheckpointStore : ICheckpointStore, IAsyncDisposable
{
    private readonly ICheckpointStore _inner;
    private readonly AckLedger _ledger;
    private readonly ILogger? _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly PendingFile? _pending;
    private readonly Func<long, IReadOnlyList<WebhookDeadLetter>> _pendingThrough;
    private readonly TimeProvider _time;
    private readonly TimeSpan _parkAfter;

    /// <summary>The pending file held something when last written (or read).</summary>
    private bool _pendingHeld;

    /// <summary>One of the events it holds was acknowledged since: it is written again with the next checkpoint.</summary>
    private volatile bool _pendingChanged;

    /// <summary>The take number the unwritten checkpoint covers (for the pending file).</summary>
    private long _unwrittenThrough;

    /// <summary>Events written to the pending file so far (counted each time).</summary>
    private long _parked;

    /// <summary>Ready but not yet written (the last write failed, or a newer one is on its way).</summary>
    private FeedCheckpoint? _unwritten;

    /// <summary>Checkpoints written to the user's store.</summary>
    private long _written;

    public AcknowledgingCheckpointStore(ICheckpointStore inner, AckLedger ledger, WebhookForwarderOptions options, Func<long, IReadOnlyList<WebhookDeadLetter>> pendingThrough)
    {
        _inner = inner;
        _ledger = ledger;
        _logger = options.Logger;
        _time = options.TimeProvider;
        _parkAfter = options.ParkAfter;
        _pending = options.PendingPath is { } path ? new PendingFile(path) : null;
        _pendingThrough = pendingThrough;
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    public long Written => Interlocked.Read(ref _written);

    /// <summary>The pending file held events at start (they are queued again).</summary>
    public void PendingRestored() => _pendingHeld = true;

    /// <summary>A restored event was acknowledged: the pending file is written again with the next checkpoint (or stop).</summary>
    public void PendingChanged() => _pendingChanged = true;

    /// <summary>Events written to the pending file, each time it was written.</summary>
    public long Parked => Interlocked.Read(ref _parked);

    public ValueTask<FeedCheckpoint?> LoadAsync(CancellationToken cancellationToken) => _inner.LoadAsync(cancellationToken);

    public ValueTask SaveAsync(FeedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        _ledger.Hold(checkpoint, _time.GetTimestamp());
        Wake();
        return ValueTask.CompletedTask;
    }

    /// <summary>Asks the loop to write what is ready (after an acknowledgement moved the watermark).</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Writes what is ready now, waiting for it; with <paramref name="stopping"/>, parks what is not (on stop).</summary>
    public Task FlushAsync(bool stopping = false) => WriteReadyAsync(CancellationToken.None, stopping);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _wake.Writer.TryComplete();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task LoopAsync(CancellationToken cancellationToken)
    {
        while (await _wake.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            _wake.Reader.TryRead(out _);
            await WriteReadyAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task WriteReadyAsync(CancellationToken cancellationToken, bool stopping = false)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ledger.TakeReady(out long through) is { } ready)
            {
                (_unwritten, _unwrittenThrough) = (ready, through);
            }

            // Held too long by a route's retries (or stopping): save the newest, its routes' events in the pending file.
            bool park = _pending is not null && (stopping || (_ledger.OldestHeldAt is { } heldAt && _time.GetElapsedTime(heldAt) >= _parkAfter));
            if (park && _ledger.TakeNewest() is { } newest)
            {
                (_unwritten, _unwrittenThrough) = newest;
            }

            if (_unwritten is not { } checkpoint)
            {
                if (stopping && _pending is not null && _pendingHeld && _pendingChanged)
                {
                    await WritePendingAsync(_unwrittenThrough, said: false).ConfigureAwait(false); // what was restored and is delivered now
                }

                return;
            }

            try
            {
                if (_pending is not null && (park || (_pendingHeld && _pendingChanged)))
                {
                    await WritePendingAsync(_unwrittenThrough, said: park).ConfigureAwait(false);
                }

                await _inner.SaveAsync(checkpoint, CancellationToken.None).ConfigureAwait(false);
                _unwritten = null;
                Interlocked.Increment(ref _written);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // Kept: the next acknowledgement or save tries again (the store's previous checkpoint is still there).
                if (_logger is not null)
                {
                    WebhookLog.CheckpointFailed(_logger, ex.Message);
                }
            }
        }
        finally
        {
            _writing.Release();
        }
    }

    // Said when parking (each ParkAfter while a route holds events, and on stop), not at the rewrites in between.
    private async Task WritePendingAsync(long through, bool said)
    {
        _pendingChanged = false; // before the snapshot: an acknowledgement during it marks it again
        IReadOnlyList<WebhookDeadLetter> pending = _pendingThrough(through);
        await _pending!.WriteAsync(pending).ConfigureAwait(false);
        _pendingHeld = pending.Count > 0;
        Interlocked.Add(ref _parked, pending.Count);
        if (_logger is not null && said && pending.Count > 0)
        {
            WebhookLog.Parked(_logger, pending.Count, _pending.Path);
        }
    }
}
