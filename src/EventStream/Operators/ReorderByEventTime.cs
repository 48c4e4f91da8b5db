using EventStream.Operators.Internal;
using EventStream.Parsing;

namespace EventStream.Operators;

/// <summary>Restores event-time order within a window, for callers who trade latency for strict order.</summary>
public static class ReorderExtensions
{
    /// <summary>
    /// Holds events up to <paramref name="window"/> and emits them in ascending <see cref="IntileryEvent.EventTime"/>
    /// (ties in arrival order). An event is released once a later event is more than <paramref name="window"/> newer
    /// (event time), or once it has been held for <paramref name="window"/> (clock time), whichever comes first.
    /// An event older than one already emitted is handled by <paramref name="policy"/>.
    /// </summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="source">The source.</param>
    /// <param name="window">How far out of order events may arrive.</param>
    /// <param name="policy">What to do with an event later than the window.</param>
    /// <param name="timeProvider">The clock for the hold bound; default <see cref="TimeProvider.System"/>.</param>
    /// <returns>The source in event-time order.</returns>
    public static IObservable<T> ReorderByEventTime<T>(this IObservable<T> source, TimeSpan window, LateEventPolicy policy = LateEventPolicy.EmitImmediately, TimeProvider? timeProvider = null)
        where T : IntileryEvent
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        if (!Enum.IsDefined(policy))
        {
            throw new ArgumentOutOfRangeException(nameof(policy), policy, "Unknown policy.");
        }

        return new ReorderObservable<T>(source, window, policy, timeProvider ?? TimeProvider.System);
    }
}

internal sealed class ReorderObservable<T>(IObservable<T> source, TimeSpan window, LateEventPolicy policy, TimeProvider time) : IObservable<T>
    where T : IntileryEvent
{
    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var sink = new Sink(observer, window, policy, time);
        IDisposable upstream = source.Subscribe(sink);
        return System.Reactive.Disposables.Disposable.Create(() =>
        {
            upstream.Dispose();
            sink.Dispose();
        });
    }

    private sealed class Sink : IObserver<T>, IDisposable
    {
        private readonly IObserver<T> _downstream;
        private readonly TimeSpan _window;
        private readonly LateEventPolicy _policy;
        private readonly TimeProvider _time;
        private readonly Lock _gate = new();
        private readonly TimeOrderedBuffer<T> _buffer = new();
        private readonly Queue<(long Arrived, long EventTicks)> _arrivals = new();
        private readonly ITimer _timer;
        private long _maxSeen = long.MinValue;
        private long _lastRecorded; // event time of the newest arrival record (valid while _arrivals is not empty)
        private long? _lastEmitted;
        private long _scheduledFor = long.MinValue; // arrival timestamp the timer is set for
        private bool _done;

        public Sink(IObserver<T> downstream, TimeSpan window, LateEventPolicy policy, TimeProvider time)
        {
            _downstream = downstream;
            _window = window;
            _policy = policy;
            _time = time;
            _timer = time.CreateTimer(static s => ((Sink)s!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        public void OnNext(T value)
        {
            lock (_gate)
            {
                if (_done)
                {
                    return;
                }

                long ticks = value.EventTime.UtcTicks;
                if (_lastEmitted is { } last && ticks < last)
                {
                    switch (_policy)
                    {
                        case LateEventPolicy.EmitImmediately:
                            _downstream.OnNext(value);
                            return;
                        case LateEventPolicy.Drop:
                            return;
                        default:
                            Fail(new LateEventException(value, new DateTimeOffset(last, TimeSpan.Zero)));
                            return;
                    }
                }

                _buffer.Add(value, ticks);

                // An arrival record releases, once it is a window old, everything up to its event time. A record no later
                // (in event time) than the newest one already queued would release nothing that one does not release
                // sooner, so it is not made — nor the clock read for it (most events of a stream a little out of order).
                if (_arrivals.Count == 0 || ticks > _lastRecorded)
                {
                    _arrivals.Enqueue((_time.GetTimestamp(), ticks));
                    _lastRecorded = ticks;
                }

                _maxSeen = Math.Max(_maxSeen, ticks);
                EmitUpTo(_maxSeen - _window.Ticks);
                Schedule();
            }
        }

        public void OnError(Exception error)
        {
            lock (_gate)
            {
                Fail(error);
            }
        }

        public void OnCompleted()
        {
            lock (_gate)
            {
                if (_done)
                {
                    return;
                }

                EmitUpTo(long.MaxValue);
                _done = true;
                _timer.Dispose();
                _downstream.OnCompleted();
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _done = true;
            }

            _timer.Dispose();
        }

        private void OnTimer()
        {
            lock (_gate)
            {
                if (_done)
                {
                    return;
                }

                long now = _time.GetTimestamp();
                long threshold = long.MinValue;
                while (_arrivals.TryPeek(out var oldest) && _time.GetElapsedTime(oldest.Arrived, now) >= _window)
                {
                    threshold = Math.Max(threshold, oldest.EventTicks);
                    _arrivals.Dequeue();
                }

                EmitUpTo(threshold);
                _scheduledFor = long.MinValue; // the one-shot timer has fired: always re-arm
                Schedule();
            }
        }

        // Emits, in order, every held event at or before the threshold.
        private void EmitUpTo(long threshold)
        {
            while (_buffer.TryPeek(out T next, out long ticks) && ticks <= threshold)
            {
                _buffer.RemoveFirst();
                _lastEmitted = ticks;
                _downstream.OnNext(next);
            }
        }

        private void Schedule()
        {
            // Drop arrival records of events already emitted, then wake when the oldest held one is due.
            while (_arrivals.TryPeek(out var oldest) && _lastEmitted is { } last && oldest.EventTicks <= last && !HeldAt(oldest.EventTicks))
            {
                _arrivals.Dequeue();
            }

            // The arrivals queue is FIFO, so its head (and the deadline) only moves later. A timer armed for an earlier
            // head fires early, finds nothing due and re-arms: so touch the timer only when it is not armed at all.
            long head = _arrivals.TryPeek(out var next) ? next.Arrived : long.MinValue;
            if (head == long.MinValue)
            {
                if (_scheduledFor != long.MinValue)
                {
                    _scheduledFor = long.MinValue;
                    _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                }

                return;
            }

            if (_scheduledFor != long.MinValue && _scheduledFor <= head)
            {
                return;
            }

            _scheduledFor = head;
            TimeSpan due = _window - _time.GetElapsedTime(head);
            _timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
        }

        private bool HeldAt(long ticks) => _buffer.TryPeek(out _, out long head) && head <= ticks;

        private void Fail(Exception error)
        {
            if (_done)
            {
                return;
            }

            _done = true;
            _timer.Dispose();
            _downstream.OnError(error);
        }
    }
}
