using EventStream.Diagnostics.Internal;
using EventStream.Feed.Internal;
using EventStream.Internal;
using EventStream.Parsing;

namespace EventStream.Feed;

// The dispatcher: channel → observers (in subscription order, one at a time) → readers' buffers; what happens when a
// consumer throws (retry, dead-letter, or fault the feed for good); the stall watchdog; how the feed ends for consumers.
public sealed partial class EventFeed
{
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
                    IntileryEvent? delivered = item.Event;
                    if (delivered is not null)
                    {
                        if (Volatile.Read(ref _observerProgress) is not null)
                        {
                            await BeforeTakingAsync(sequence, cancellationToken).ConfigureAwait(false);
                        }

                        BeginHandover(delivered);
                        foreach (Subscriber subscriber in Volatile.Read(ref _subscribers))
                        {
                            _waitingOn = subscriber.Kind;
                            try
                            {
                                subscriber.Observer.OnNext(delivered);
                            }
                            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                            {
                                await RetryOrDeadLetterAsync(subscriber, delivered, ex, cancellationToken).ConfigureAwait(false);
                            }
                        }
                    }

                    Volatile.Read(ref _observerProgress)?.Take(sequence); // the observers have returned from OnNext
                    foreach (Reader reader in Volatile.Read(ref _readers))
                    {
                        if (!reader.Items.Writer.TryWrite(item))
                        {
                            if (delivered is not null && _handoverStart == 0)
                            {
                                BeginHandover(delivered);
                            }

                            _waitingOn = ReaderKind;
                            await TryWriteAsync(reader, item, cancellationToken).ConfigureAwait(false);
                        }
                    }

                    if (delivered is not null)
                    {
                        EndHandover();
                        Measure(delivered);
                    }
                    else
                    {
                        _committer.Advance();
                    }
                }
            }

            // The poller finished: Until reached or caught up.
            await SaveAsync(throwOnFailure: false).ConfigureAwait(false);
            if (_lifecycle.TryComplete())
            {
                Publish(FeedState.Stopped);
                EndConsumers();
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Disposed: DisposeAsync completes everyone (or a fault already has).
        }
        catch (Exception ex)
        {
            // A permanent API error, an unreadable page, a feed error, or a consumer that threw (and was not retried or
            // dead-lettered): the feed ends for good.
            await FaultAsync(ex).ConfigureAwait(false);
        }
    }

    // An observer threw on `e`: hand it again (with backoff) up to ConsumerRetries times; then dead-letter it if a
    // handler is set, or throw the ConsumerFaultException that faults the feed.
    private async ValueTask RetryOrDeadLetterAsync(Subscriber subscriber, IntileryEvent e, Exception error, CancellationToken cancellationToken)
    {
        int attempts = 1;
        while (attempts <= _options.ConsumerRetries && !subscriber.Left)
        {
            TimeSpan delay = Backoff.Delay(attempts, _options.ConsumerRetryDelay, _options.MaxRetryDelay);
            if (_logger is not null)
            {
                FeedLog.ConsumerRetrying(_logger, subscriber.Kind, e.EventId, attempts, error.Message, delay.TotalSeconds);
            }

            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _consumerRetries);
            attempts++;
            try
            {
                subscriber.Observer.OnNext(e);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                error = ex;
            }
        }

        if (_options.OnDeadLetter is { } deadLetter)
        {
            Interlocked.Increment(ref _deadLettered);
            if (_logger is not null)
            {
                FeedLog.DeadLettered(_logger, subscriber.Kind, e.EventId, attempts, error.Message);
            }

            deadLetter(new DeadLetter(e, error, attempts, subscriber.Kind)); // if this throws, the feed faults with it
            return;
        }

        throw new ConsumerFaultException(e, subscriber.Kind, attempts, error);
    }

    // The feed ends for good: stop polling, save what every consumer took, tell every consumer, then settle Completion.
    private async Task FaultAsync(Exception error)
    {
        if (!_lifecycle.TryFault(error))
        {
            return;
        }

        EndHandover();
        if (_logger is not null && error is ConsumerFaultException consumer)
        {
            // API errors end the stream with their typed exception, as before; a consumer's fault is logged here, once.
            FeedLog.ConsumerFaulted(_logger, consumer.InnerException, consumer.Consumer, consumer.EventId, consumer.Attempts);
        }

        Publish(FeedState.Faulted, error: error);
        await _stop.CancelAsync().ConfigureAwait(false); // the poller and the saver stop
        await SaveAsync(throwOnFailure: false).ConfigureAwait(false);
        EndConsumers();
    }

    // Every subscriber gets OnError (or OnCompleted), each apart, so that one that throws from it (as Rx's observers
    // without OnError do) cannot keep the others from being told; every reader's buffer completes (with the error);
    // then Completion settles.
    private void EndConsumers()
    {
        Exception? error = _lifecycle.Error;
        Subscriber[] subscribers;
        lock (_readersLock)
        {
            subscribers = _subscribers;
            _subscribers = [];
            foreach (Reader reader in _readers)
            {
                reader.Items.Writer.TryComplete(error);
            }
        }

        foreach (Subscriber subscriber in subscribers)
        {
            Tell(subscriber, error);
        }

        _stallTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _lifecycle.Settle();
    }

    private void Tell(Subscriber subscriber, Exception? error)
    {
        try
        {
            if (error is null)
            {
                subscriber.Observer.OnCompleted();
            }
            else
            {
                subscriber.Observer.OnError(error);
            }
        }
        catch (Exception ex)
        {
            if (_logger is not null)
            {
                FeedLog.ObserverThrewOnEnd(_logger, ex, subscriber.Kind);
            }
        }
    }

    private void BeginHandover(IntileryEvent e)
    {
        _handoverEvent = e;
        Interlocked.Increment(ref _handoverNumber);
        Volatile.Write(ref _handoverStart, _time.GetTimestamp());
    }

    private void EndHandover()
    {
        Volatile.Write(ref _handoverStart, 0);
        if (Volatile.Read(ref _stall) is not null)
        {
            EndStall();
        }
    }

    // The watchdog's tick (on a timer thread: nothing may escape it, e.g. from a status observer that throws).
    private void CheckStall()
    {
        try
        {
            ReportStall();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The stall shows again at the next tick; the dispatcher is not affected.
        }
    }

    // A handover that has waited on one consumer past the threshold is a stall (reported once).
    private void ReportStall()
    {
        long number = Volatile.Read(ref _handoverNumber);
        long start = Volatile.Read(ref _handoverStart);
        if (start == 0 || Volatile.Read(ref _stall) is not null)
        {
            return;
        }

        TimeSpan waited = _time.GetElapsedTime(start);
        if (waited < _options.StallThreshold)
        {
            return;
        }

        var stall = new ConsumerStall(_waitingOn, _time.GetUtcNow() - waited, _handoverEvent?.EventId ?? "");
        if (Interlocked.CompareExchange(ref _stall, stall, null) is not null)
        {
            return;
        }

        if (Volatile.Read(ref _handoverNumber) != number || Volatile.Read(ref _handoverStart) == 0)
        {
            EndStall(); // it ended as we looked
            return;
        }

        if (_logger is not null)
        {
            FeedLog.StallStarted(_logger, stall.Consumer, stall.EventId, waited.TotalSeconds);
        }

        Republish();
    }

    private void EndStall()
    {
        if (Interlocked.Exchange(ref _stall, null) is not { } stall)
        {
            return;
        }

        if (_logger is not null)
        {
            FeedLog.StallEnded(_logger, (_time.GetUtcNow() - stall.Since).TotalSeconds, stall.Consumer, stall.EventId);
        }

        Republish();
    }

    private void Republish()
    {
        FeedStatus current = _status.Value; // the same state, with what changed beside it
        Publish(current.State, current.Behind, current.Remaining, current.NextAttempt, current.Error);
    }

    private void Measure(IntileryEvent e)
    {
        Interlocked.Increment(ref _handedOver);
        Interlocked.Exchange(ref _lastEventTicks, e.EventTime.UtcTicks);
        Telemetry.Events.Add(1, _brand);
        if (e.IsLate)
        {
            Interlocked.Increment(ref _lateHandedOver);
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
}
