using EventStream.Api;
using EventStream.Checkpoints;
using EventStream.Feed.Internal;
using EventStream.Parsing;

namespace EventStream.Feed;

// The poller (engine steps → channel) and the pump (channel → observers and readers).
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
            }

            _engine = new FeedEngine(_source, _options, resume)
            {
                StopWhenCaughtUp = StopWhenCaughtUp,
                OnRetry = OnClientRetry,
            };
            _lastSave = _time.GetTimestamp();
            Publish(FeedState.CatchingUp);
            int failures = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                StepResult step;
                try
                {
                    step = await _engine.StepAsync(cancellationToken).ConfigureAwait(false);
                    failures = 0;
                }
                catch (EventsApiException ex) when (ex.IsTransient)
                {
                    // The client's own retries ran out; keep trying (the engine's position is untouched) and say so.
                    failures++;
                    Interlocked.Increment(ref _retries);
                    TimeSpan delay = FeedRetryDelay(failures, ex.RetryAfter);
                    Publish(FeedState.Retrying, nextAttempt: _time.GetUtcNow() + delay, error: ex);
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                    continue;
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

                if (step.Idle)
                {
                    await Task.Delay(_options.PollInterval, _time, cancellationToken).ConfigureAwait(false);
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
                        _subject.OnNext(delivered);
                    }

                    Volatile.Read(ref _observerProgress)?.Take(sequence); // the observers have returned from OnNext
                    foreach (Reader reader in Volatile.Read(ref _readers))
                    {
                        await TryWriteAsync(reader, item, cancellationToken).ConfigureAwait(false);
                    }

                    if (item.Event is null)
                    {
                        _committer.Advance();
                        await SaveAsync(force: false).ConfigureAwait(false);
                    }
                }
            }

            // The poller finished: Until reached or caught up.
            await SaveAsync(force: true).ConfigureAwait(false);
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
            // A permanent API error, a feed error, or an observer that threw from OnNext.
            await SaveAsync(force: true).ConfigureAwait(false);
            Publish(FeedState.Faulted, error: ex);
            _subject.OnError(ex);
            CompleteReaders(ex);
            _completion.TrySetException(ex);
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

    private async Task SaveAsync(bool force)
    {
        if (!force && _time.GetElapsedTime(Interlocked.Read(ref _lastSave)) < _options.CheckpointInterval)
        {
            return;
        }

        await _saveLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!_committer.HasUnsaved)
            {
                return;
            }

            Interlocked.Exchange(ref _lastSave, _time.GetTimestamp());
            (FeedCheckpoint? checkpoint, long version) = _committer.Snapshot();
            if (checkpoint is not null)
            {
                await _store.SaveAsync(checkpoint, CancellationToken.None).ConfigureAwait(false);
                _committer.MarkSaved(version);
            }
        }
        finally
        {
            _saveLock.Release();
        }
    }

    private void OnClientRetry(EventsApiException error, TimeSpan delay)
    {
        Interlocked.Increment(ref _retries);
        if (error.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
        {
            Interlocked.Increment(ref _rateLimited);
        }

        Publish(FeedState.Retrying, nextAttempt: _time.GetUtcNow() + delay, error: error);
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

        lock (_statusLock) // the poller and the pump both publish; observers must see one call at a time
        {
            _status.OnNext(new FeedStatus(state, behind, remaining, nextAttempt, error, Counters));
        }
    }
}
