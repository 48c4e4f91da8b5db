using System.Threading.Channels;
using EventStream.Checkpoints;
using Microsoft.Extensions.Logging;

namespace EventStream.Webhooks.Internal;

/// <summary>
/// The store the forwarder's feed saves to: it holds each checkpoint in the <see cref="AckLedger"/> and writes the newest
/// one whose events every route has acknowledged to the user's store, from one loop (so writes never overlap and the feed
/// never waits for a slow route). See <see cref="AckLedger"/> for why this is at-least-once.
/// </summary>
internal sealed class AcknowledgingCheckpointStore : ICheckpointStore, IAsyncDisposable
{
    private readonly ICheckpointStore _inner;
    private readonly AckLedger _ledger;
    private readonly ILogger? _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _writing = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>Ready but not yet written (the last write failed, or a newer one is on its way).</summary>
    private FeedCheckpoint? _unwritten;

    /// <summary>Checkpoints written to the user's store.</summary>
    private long _written;

    public AcknowledgingCheckpointStore(ICheckpointStore inner, AckLedger ledger, ILogger? logger)
    {
        _inner = inner;
        _ledger = ledger;
        _logger = logger;
        _loop = Task.Run(() => LoopAsync(_stop.Token));
    }

    public long Written => Interlocked.Read(ref _written);

    public ValueTask<FeedCheckpoint?> LoadAsync(CancellationToken cancellationToken) => _inner.LoadAsync(cancellationToken);

    public ValueTask SaveAsync(FeedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        _ledger.Hold(checkpoint);
        Wake();
        return ValueTask.CompletedTask;
    }

    /// <summary>Asks the loop to write what is ready (after an acknowledgement moved the watermark).</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Writes what is ready now, waiting for it (on stop).</summary>
    public Task FlushAsync() => WriteReadyAsync(CancellationToken.None);

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

    private async Task WriteReadyAsync(CancellationToken cancellationToken)
    {
        await _writing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_ledger.TakeReady() is { } ready)
            {
                _unwritten = ready;
            }

            if (_unwritten is not { } checkpoint)
            {
                return;
            }

            try
            {
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
}
