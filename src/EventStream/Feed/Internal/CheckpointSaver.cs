using System.Threading.Channels;
using EventStream.Checkpoints;
using EventStream.Internal;
using Microsoft.Extensions.Logging;

namespace EventStream.Feed.Internal;

/// <summary>
/// Saves what consumers have taken (the <see cref="Committer"/>'s snapshot) to the store: every CheckpointInterval, at
/// once when a consumer has taken half of CheckpointAfterEvents since the last save, and on stop — off the delivery
/// path, except that a consumer about to pass the count bound waits for the save, so a crash at any moment repeats at
/// most CheckpointAfterEvents events. While saves fail (disk full, read-only) the bound is suspended, delivery goes on,
/// and the saver tries again with backoff, saying so.
/// </summary>
internal sealed class CheckpointSaver : IDisposable
{
    private readonly ICheckpointStore _store;
    private readonly Committer _committer;
    private readonly FeedOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;

    /// <summary>Cancelled when the feed stops: a consumer waiting for a save goes on.</summary>
    private readonly CancellationToken _stopping;

    /// <summary>Told after a save failed (the feed republishes its status with the failure counted).</summary>
    private readonly Action _onFailure;

    /// <summary>One save at a time (the loop, a consumer's <see cref="SaveAsync"/>, the feed's last save on stop).</summary>
    private readonly SemaphoreSlim _saveLock = new(1, 1);

    /// <summary>A consumer asks for a save (holds at most one request).</summary>
    private readonly Channel<bool> _requested = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>The store is durable (not in memory), so saves are also made by count.</summary>
    private readonly bool _countedSaves;

    /// <summary>Completed (and replaced) after each save attempt: what consumers waiting for a save wait on.</summary>
    private TaskCompletionSource _saved = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The committer's sequence number taken at the last successful save.</summary>
    private long _savedSequence;

    /// <summary>Failed saves in a row; 0 once a save succeeds.</summary>
    private long _failures;

    private long _failuresTotal;
    private long _saves;

    public CheckpointSaver(ICheckpointStore store, Committer committer, FeedOptions options, ILogger? logger, Action onFailure, CancellationToken stopping)
    {
        _store = store;
        _committer = committer;
        _options = options;
        _time = options.TimeProvider;
        _logger = logger;
        _onFailure = onFailure;
        _stopping = stopping;
        _countedSaves = store is not InMemoryCheckpointStore;
    }

    /// <summary>Checkpoints saved.</summary>
    public long Saves => Interlocked.Read(ref _saves);

    /// <summary>Saves that failed (every one, not only in a row).</summary>
    public long FailuresTotal => Interlocked.Read(ref _failuresTotal);

    // Taking `sequence` would leave CheckpointAfterEvents or more taken but unsaved (while saves work).
    public bool WouldPassSaveBound(long sequence)
        => _countedSaves && sequence - Volatile.Read(ref _savedSequence) >= _options.CheckpointAfterEvents && Volatile.Read(ref _failures) == 0;

    // A consumer is about to take the item numbered `sequence` (it has taken everything before it). Once half the bound
    // has been taken since the last save, the saver is woken; at the bound, the consumer waits for it, so that a crash
    // at any moment repeats at most CheckpointAfterEvents events. Suspended while saves fail (delivery goes on).
    public ValueTask BeforeTakingAsync(long sequence, CancellationToken cancellationToken)
    {
        if (!_countedSaves)
        {
            return ValueTask.CompletedTask;
        }

        if (sequence - Volatile.Read(ref _savedSequence) < _options.CheckpointAfterEvents / 2)
        {
            return ValueTask.CompletedTask;
        }

        _requested.Writer.TryWrite(true);
        return WouldPassSaveBound(sequence) ? WaitForSaveAsync(sequence, cancellationToken) : ValueTask.CompletedTask;
    }

    private async ValueTask WaitForSaveAsync(long sequence, CancellationToken cancellationToken)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Task saved = Volatile.Read(ref _saved).Task; // taken before the check, so a save in between is not missed
            if (!WouldPassSaveBound(sequence))
            {
                return;
            }

            _requested.Writer.TryWrite(true);
            await saved.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Saves every CheckpointInterval, and at once when a consumer has taken half the count bound since the last save.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (Volatile.Read(ref _failures) > 0)
                {
                    // Failing (disk full, read-only): try again after the backoff, whatever consumers ask for meanwhile.
                    await Task.Delay(RetryDelay(), _time, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    Task requested = _requested.Reader.WaitToReadAsync(timer.Token).AsTask();
                    Task elapsed = Task.Delay(_options.CheckpointInterval, _time, timer.Token);
                    await Task.WhenAny(requested, elapsed).ConfigureAwait(false);
                    await timer.CancelAsync().ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
                _requested.Reader.TryRead(out _);
                await SaveAsync(throwOnFailure: false).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Saves what consumers have taken, if anything is unsaved; with <paramref name="throwOnFailure"/>, the store's error is thrown.</summary>
    public async Task SaveAsync(bool throwOnFailure)
    {
        await _saveLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_committer.HasUnsaved)
            {
                return;
            }

            (FeedCheckpoint? checkpoint, long version, long taken) = _committer.Snapshot();
            if (checkpoint is null)
            {
                return;
            }

            try
            {
                await _store.SaveAsync(checkpoint, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (!throwOnFailure && ex is not OutOfMemoryException)
            {
                // A full disk or a read-only directory: the store's previous checkpoint is intact (temp file + rename).
                // Delivery goes on; the saver tries again with backoff and says so.
                Interlocked.Increment(ref _failures);
                if (_logger is not null)
                {
                    FeedLog.CheckpointFailed(_logger, ex.Message, RetryDelay().TotalSeconds);
                }

                Interlocked.Increment(ref _failuresTotal); // after the failure is said: a reader that sees the count sees the line

                _onFailure();
                WakeWaiters(); // a consumer waiting for this save goes on: the bound is suspended while saves fail
                return;
            }

            _committer.MarkSaved(version);
            long previousFailures = Interlocked.Exchange(ref _failures, 0);
            if (previousFailures > 0 && _logger is not null)
            {
                FeedLog.CheckpointRecovered(_logger, previousFailures);
            }

            Interlocked.Increment(ref _saves); // after the recovery is said: a reader that sees the count sees the line

            Volatile.Write(ref _savedSequence, taken);
            WakeWaiters();
        }
        finally
        {
            _saveLock.Release();
        }
    }

    /// <summary>Lets every consumer waiting for a save go on.</summary>
    public void WakeWaiters()
        => Interlocked.Exchange(ref _saved, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Releases the save lock (after the feed's last save).</summary>
    public void Dispose() => _saveLock.Dispose();

    private TimeSpan RetryDelay()
        => Backoff.Delay((int)Math.Min(Volatile.Read(ref _failures), 30), TimeSpan.FromSeconds(2), _options.MaxRetryDelay);
}
