using EventStream.Api;
using EventStream.Checkpoints;
using EventStream.Diagnostics.Internal;
using EventStream.Feed.Internal;
using EventStream.Parsing;
using Microsoft.Extensions.Logging;

namespace EventStream.Feed;

// The poller (engine steps → channel), the pump (channel → observers and readers) and the saver (checkpoints by time
// and by count, off the delivery path).
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
                    TimeSpan delay = FeedRetryDelay(failures, ex.RetryAfter);
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

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (_channel.Reader.TryPeek(out _))
                {
                    // Nobody to give events to: wait for a consumer rather than drop them (polling pauses meanwhile).
                    while (Volatile.Read(ref _observerCount) == 0 && Volatile.Read(ref _readers).Length == 0)
                    {
                        await _consumerArrived.WaitAsync(cancellationToken).ConfigureAwait(false);
                    }

                    _channel.Reader.TryRead(out FeedItem item);
                    long sequence = item.Event is { } e ? _committer.Append(e) : _committer.Append(item.Position);
                    item = item with { Sequence = sequence };
                    if (item.Event is { } delivered)
                    {
                        if (Volatile.Read(ref _observerProgress) is not null)
                        {
                            await BeforeTakingAsync(sequence, cancellationToken).ConfigureAwait(false);
                        }

                        _subject.OnNext(delivered);
                        Measure(delivered);
                    }

                    Volatile.Read(ref _observerProgress)?.Take(sequence); // the observers have returned from OnNext
                    foreach (Reader reader in Volatile.Read(ref _readers))
                    {
                        await TryWriteAsync(reader, item, cancellationToken).ConfigureAwait(false);
                    }

                    if (item.Event is null)
                    {
                        _committer.Advance();
                    }
                }
            }

            // The poller finished: Until reached or caught up.
            await SaveAsync(throwOnFailure: false).ConfigureAwait(false);
            Publish(FeedState.Stopped);
            _subject.OnCompleted();
            CompleteReaders(null);
            _completion.TrySetResult();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed: DisposeAsync completes everyone.
        }
        catch (Exception ex)
        {
            // A permanent API error, an unreadable page, a feed error, or an observer that threw from OnNext.
            await SaveAsync(throwOnFailure: false).ConfigureAwait(false);
            Publish(FeedState.Faulted, error: ex);
            _subject.OnError(ex);
            CompleteReaders(ex);
            _completion.TrySetException(ex);
        }
    }

    private void Measure(IntileryEvent e)
    {
        Interlocked.Exchange(ref _lastEventTicks, e.EventTime.UtcTicks);
        Telemetry.Events.Add(1, _brand);
        if (e.IsLate)
        {
            Telemetry.LateEvents.Add(1, _brand);
        }

        if (e.ReceivedTime is { } received)
        {
            Telemetry.EventLag.Record((received - e.EventTime).TotalSeconds, _brand);
            Telemetry.DeliveryDelay.Record((_time.GetUtcNow() - received).TotalSeconds, _brand);
        }
    }

    private static async ValueTask<bool> TryWriteAsync(Reader reader, FeedItem item, CancellationToken cancellationToken)
    {
        try
        {
            await reader.Items.Writer.WriteAsync(item, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (System.Threading.Channels.ChannelClosedException)
        {
            return false; // that reader has left
        }
    }

    private void CompleteReaders(Exception? error)
    {
        lock (_readersLock)
        {
            _ended = true;
            _endError = error;
            foreach (Reader reader in _readers)
            {
                reader.Items.Writer.TryComplete(error);
            }
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
        => TimeSpan.FromSeconds(Math.Min(_options.MaxRetryDelay.TotalSeconds, Math.Pow(2, Math.Min(Volatile.Read(ref _saveFailures), 16))));

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

    private TimeSpan FeedRetryDelay(int failures, TimeSpan? retryAfter)
    {
        double seconds = Math.Min(_options.MaxRetryDelay.TotalSeconds, Math.Pow(2, Math.Min(failures, 16)) * 0.5);
        TimeSpan delay = TimeSpan.FromSeconds(seconds * (0.5 + (Random.Shared.NextDouble() * 0.5)));
        return retryAfter is { } after && after > delay ? after : delay;
    }

    private void Publish(FeedState state, TimeSpan? behind = null, long? remaining = null, DateTimeOffset? nextAttempt = null, Exception? error = null)
    {
        if (_status.IsDisposed)
        {
            return;
        }

        lock (_statusLock) // the poller, the pump and the saver all publish; observers must see one call at a time
        {
            _status.OnNext(new FeedStatus(state, behind, remaining, nextAttempt, error, Counters));
        }
    }
}
