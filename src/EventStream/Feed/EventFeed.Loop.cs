using EventStream.Api;
using EventStream.Checkpoints;
using EventStream.Diagnostics.Internal;
using EventStream.Feed.Internal;
using EventStream.Parsing;
using Microsoft.Extensions.Logging;

namespace EventStream.Feed;

// The poller (engine steps → channel) and the saver (checkpoints by time and by count, off the delivery path). The
// dispatcher (channel → observers and readers) is in EventFeed.Dispatch.cs.
public sealed partial class EventFeed
{
    private async Task PollAsync(CancellationToken cancellationToken)
    {
        try
        {
            FeedCheckpoint? resume = await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
            if (resume is not null)
            {
                _committer.Restore(resume);
                ResumedAfter = resume.LastEventId;
            }

            _engine = new FeedEngine(_source, _options, resume)
            {
                StopWhenCaughtUp = StopWhenCaughtUp,
                OnRetry = OnClientRetry,
                OnUnreadable = OnUnreadable,
            };
            Publish(FeedState.CatchingUp);
            int failures = 0;
            long duplicatesReported = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                StepResult step;
                try
                {
                    step = await _engine.StepAsync(cancellationToken).ConfigureAwait(false);
                    failures = 0;
                }
                catch (EventsApiException ex) when (ex.IsTransient && !StopWhenCaughtUp)
                {
                    // The client's own retries ran out. A daemon outlives outages: keep trying (the engine's position is
                    // untouched), back off, and say so each time. (With StopWhenCaughtUp the error ends the feed instead.)
                    failures++;
                    Interlocked.Increment(ref _retries);
                    TimeSpan delay = Backoff.Delay(failures, TimeSpan.FromSeconds(1), _options.MaxRetryDelay, jitter: true, ex.RetryAfter);
                    BackingOff(ex, delay, fromClient: false);
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                EndRetryEpisode();
                if (_engine.Duplicates - duplicatesReported is > 0 and long dropped)
                {
                    Telemetry.Duplicates.Add(dropped, _brand);
                    duplicatesReported = _engine.Duplicates;
                }

                foreach (IntileryEvent e in step.Events)
                {
                    await _channel.Writer.WriteAsync(new FeedItem(e, default, 0), cancellationToken).ConfigureAwait(false);
                }

                await _channel.Writer.WriteAsync(new FeedItem(null, step.Position, 0), cancellationToken).ConfigureAwait(false);
                Publish(step.AtHead ? FeedState.Live : FeedState.CatchingUp, behind: step.Behind, remaining: step.Remaining);
                if (step.Completed)
                {
                    break;
                }

                if (step.Delay > TimeSpan.Zero)
                {
                    await Task.Delay(step.Delay, _time, cancellationToken).ConfigureAwait(false);
                }
            }

            _channel.Writer.TryComplete();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _channel.Writer.TryComplete();
        }
        catch (Exception ex)
        {
            _channel.Writer.TryComplete(ex);
        }
    }

    // A consumer is about to take the item numbered `sequence` (it has taken everything before it). Once half the bound
    // has been taken since the last save, the saver is woken; at the bound, the consumer waits for it, so that a crash
    // at any moment repeats at most CheckpointAfterEvents events. Suspended while saves fail (delivery goes on).
    private ValueTask BeforeTakingAsync(long sequence, CancellationToken cancellationToken)
    {
        if (!_countedSaves)
        {
            return ValueTask.CompletedTask;
        }

        if (sequence - Volatile.Read(ref _savedSequence) < _options.CheckpointAfterEvents / 2)
        {
            return ValueTask.CompletedTask;
        }

        _saveRequested.Writer.TryWrite(true);
        return WouldPassSaveBound(sequence) ? WaitForSaveAsync(sequence, cancellationToken) : ValueTask.CompletedTask;
    }

    private async ValueTask WaitForSaveAsync(long sequence, CancellationToken cancellationToken)
    {
        while (!_stop.IsCancellationRequested)
        {
            Task saved = Volatile.Read(ref _saved).Task; // taken before the check, so a save in between is not missed
            if (!WouldPassSaveBound(sequence))
            {
                return;
            }

            _saveRequested.Writer.TryWrite(true);
            await saved.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    // Saves every CheckpointInterval, and at once when a consumer has taken half the count bound since the last save.
    private async Task SaveLoopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if (Volatile.Read(ref _saveFailures) > 0)
                {
                    // Failing (disk full, read-only): try again after the backoff, whatever consumers ask for meanwhile.
                    await Task.Delay(SaveRetryDelay(), _time, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    using var timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    Task requested = _saveRequested.Reader.WaitToReadAsync(timer.Token).AsTask();
                    Task elapsed = Task.Delay(_options.CheckpointInterval, _time, timer.Token);
                    await Task.WhenAny(requested, elapsed).ConfigureAwait(false);
                    await timer.CancelAsync().ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
                _saveRequested.Reader.TryRead(out _);
                await SaveAsync(throwOnFailure: false).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task SaveAsync(bool throwOnFailure)
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
                Interlocked.Increment(ref _saveFailures);
                Interlocked.Increment(ref _saveFailuresTotal);
                if (_logger is not null)
                {
                    FeedLog.CheckpointFailed(_logger, ex.Message, SaveRetryDelay().TotalSeconds);
                }

                FeedStatus current = _status.Value; // the same state, with the failure counted
                Publish(current.State, current.Behind, current.Remaining, current.NextAttempt, current.Error);
                WakeSaveWaiters(); // a consumer waiting for this save goes on: the bound is suspended while saves fail
                return;
            }

            _committer.MarkSaved(version);
            Interlocked.Increment(ref _checkpointsSaved);
            long previousFailures = Interlocked.Exchange(ref _saveFailures, 0);
            if (previousFailures > 0 && _logger is not null)
            {
                FeedLog.CheckpointRecovered(_logger, previousFailures);
            }

            Volatile.Write(ref _savedSequence, taken);
            WakeSaveWaiters();
        }
        finally
        {
            _saveLock.Release();
        }
    }

    private void WakeSaveWaiters()
        => Interlocked.Exchange(ref _saved, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    private TimeSpan SaveRetryDelay()
        => Backoff.Delay((int)Math.Min(Volatile.Read(ref _saveFailures), 30), TimeSpan.FromSeconds(2), _options.MaxRetryDelay);

    private void OnClientRetry(EventsApiException error, TimeSpan delay)
    {
        Interlocked.Increment(ref _retries);
        if (error.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
        {
            Interlocked.Increment(ref _rateLimited);
        }

        BackingOff(error, delay, fromClient: true);
    }

    // One retry episode: said when it starts, at every back-off of the feed's own loop (the client's quick retries
    // inside one request are only counted), and when it ends.
    private void BackingOff(EventsApiException error, TimeSpan delay, bool fromClient)
    {
        DateTimeOffset next = _time.GetUtcNow() + delay;
        int attempts = ++_episodeFailures;
        if (attempts == 1)
        {
            _episodeStart = _time.GetTimestamp();
            if (_logger is not null)
            {
                FeedLog.RetryStarted(_logger, error.Message, next.ToLocalTime(), delay.TotalSeconds);
            }
        }
        else if (_logger is not null && !fromClient)
        {
            FeedLog.StillRetrying(_logger, attempts, error.Message, next.ToLocalTime(), delay.TotalSeconds);
        }

        Publish(FeedState.Retrying, nextAttempt: next, error: error);
    }

    private void EndRetryEpisode()
    {
        if (_episodeFailures > 0)
        {
            if (_logger is not null)
            {
                FeedLog.Recovered(_logger, _episodeFailures, _time.GetElapsedTime(_episodeStart).TotalSeconds);
            }

            _episodeFailures = 0;
        }
    }

    private void OnUnreadable(UnreadableEvent e)
    {
        if (_logger is not null)
        {
            FeedLog.Unreadable(_logger, e);
        }

        _options.OnUnreadableEvent?.Invoke(e);
    }

    private void Publish(FeedState state, TimeSpan? behind = null, long? remaining = null, DateTimeOffset? nextAttempt = null, Exception? error = null)
    {
        if (_status.IsDisposed)
        {
            return;
        }

        lock (_statusLock) // the poller, the dispatcher and the saver all publish; observers must see one call at a time
        {
            // Derived from the lifecycle: once the feed has faulted or completed, no loop can report it otherwise.
            FeedState derived = _lifecycle.Derive(state);
            if (derived != state)
            {
                (behind, remaining, nextAttempt, error) = (null, null, null, _lifecycle.Error);
            }

            _status.OnNext(new FeedStatus(derived, behind, remaining, nextAttempt, error, Counters) { Stall = Volatile.Read(ref _stall) });
        }
    }
}
