using EventStream.Operators.Internal;

namespace EventStream.Operators;

/// <summary>Bounded dedupe for any observable: unlike System.Reactive's <c>Distinct</c>, memory never grows without bound.</summary>
public static class DedupeExtensions
{
    /// <summary>
    /// Drops an element whose key was seen among the last <paramref name="maxCount"/> keys and/or within
    /// <paramref name="maxAge"/>; at least one bound is required.
    /// </summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <param name="source">The source.</param>
    /// <param name="keySelector">The key of an element.</param>
    /// <param name="maxCount">How many keys to remember (oldest forgotten first).</param>
    /// <param name="maxAge">How long to remember a key, by <paramref name="timeProvider"/>.</param>
    /// <param name="timeProvider">The clock for <paramref name="maxAge"/>; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="comparer">Key equality; default <see cref="EqualityComparer{T}.Default"/>.</param>
    /// <returns>The source without repeats inside the bounds.</returns>
    public static IObservable<T> Dedupe<T, TKey>(
        this IObservable<T> source,
        Func<T, TKey> keySelector,
        int? maxCount = null,
        TimeSpan? maxAge = null,
        TimeProvider? timeProvider = null,
        IEqualityComparer<TKey>? comparer = null)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(keySelector);
        Validate(maxCount, maxAge);

        return new DedupeObservable<T, TKey>(source, keySelector, maxCount, maxAge, timeProvider ?? TimeProvider.System, comparer ?? EqualityComparer<TKey>.Default);
    }

    /// <summary>Drops events whose <c>eventId</c> was seen among the last <paramref name="maxCount"/> and/or within <paramref name="maxAge"/>.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="source">The source.</param>
    /// <param name="maxCount">How many ids to remember.</param>
    /// <param name="maxAge">How long to remember an id.</param>
    /// <param name="timeProvider">The clock for <paramref name="maxAge"/>.</param>
    /// <returns>The source without repeated events inside the bounds.</returns>
    /// <remarks>
    /// Ids are compared as the 128-bit keys the page reader took from each id's bytes once (no string is hashed here),
    /// in a table that allocates nothing once grown to its bound.
    /// </remarks>
    public static IObservable<T> DedupeEvents<T>(this IObservable<T> source, int? maxCount = 100_000, TimeSpan? maxAge = null, TimeProvider? timeProvider = null)
        where T : Parsing.IntileryEvent
    {
        ArgumentNullException.ThrowIfNull(source);
        Validate(maxCount, maxAge);
        return new EventDedupeObservable<T>(source, maxCount, maxAge, timeProvider ?? TimeProvider.System);
    }

    private static void Validate(int? maxCount, TimeSpan? maxAge)
    {
        if (maxCount is null && maxAge is null)
        {
            throw new ArgumentException("Give maxCount, maxAge or both: an unbounded dedupe grows without limit.", nameof(maxCount));
        }

        if (maxCount is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxCount), maxCount, "maxCount must be positive.");
        }

        if (maxAge is { } age && age <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(maxAge), maxAge, "maxAge must be positive.");
        }
    }
}

internal sealed class EventDedupeObservable<T>(IObservable<T> source, int? maxCount, TimeSpan? maxAge, TimeProvider time) : IObservable<T>
    where T : Parsing.IntileryEvent
{
    private readonly int? _maxCount = maxCount;
    private readonly TimeSpan? _maxAge = maxAge;
    private readonly TimeProvider _time = time;

    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        return source.Subscribe(new Observer(this, observer));
    }

    private sealed class Observer(EventDedupeObservable<T> parent, IObserver<T> downstream) : IObserver<T>
    {
        private readonly KeyWindow _keys = new(Math.Min(parent._maxCount ?? 1024, 1024));

        public void OnNext(T value)
        {
            long now = 0;
            if (parent._maxAge is { } age)
            {
                now = parent._time.GetTimestamp();
                while (_keys.TryPeekOldest(out long oldest) && parent._time.GetElapsedTime(oldest, now) >= age)
                {
                    _keys.RemoveOldest();
                }
            }

            if (!_keys.Add(value.Key, now))
            {
                return;
            }

            if (parent._maxCount is { } max && _keys.Count > max)
            {
                _keys.RemoveOldest();
            }

            downstream.OnNext(value);
        }

        public void OnError(Exception error) => downstream.OnError(error);

        public void OnCompleted() => downstream.OnCompleted();
    }
}

internal sealed class DedupeObservable<T, TKey>(
    IObservable<T> source, Func<T, TKey> keySelector, int? maxCount, TimeSpan? maxAge, TimeProvider time, IEqualityComparer<TKey> comparer)
    : IObservable<T>
    where TKey : notnull
{
    private Func<T, TKey> KeySelector { get; } = keySelector;

    private int? MaxCount { get; } = maxCount;

    private TimeSpan? MaxAge { get; } = maxAge;

    private TimeProvider Time { get; } = time;

    private IEqualityComparer<TKey> Comparer { get; } = comparer;

    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        return source.Subscribe(new Observer(this, observer));
    }

    private sealed class Observer(DedupeObservable<T, TKey> parent, IObserver<T> downstream) : IObserver<T>
    {
        private readonly HashSet<TKey> _keys = new(parent.Comparer);
        private readonly Queue<(TKey Key, long Timestamp)> _order = new();

        public void OnNext(T value)
        {
            TKey key;
            try
            {
                key = parent.KeySelector(value);
            }
            catch (Exception ex)
            {
                downstream.OnError(ex);
                return;
            }

            long now = parent.MaxAge is null ? 0 : parent.Time.GetTimestamp();
            Forget(now);
            if (!_keys.Add(key))
            {
                return;
            }

            _order.Enqueue((key, now));
            if (parent.MaxCount is { } max && _keys.Count > max)
            {
                _keys.Remove(_order.Dequeue().Key);
            }

            downstream.OnNext(value);
        }

        public void OnError(Exception error) => downstream.OnError(error);

        public void OnCompleted() => downstream.OnCompleted();

        private void Forget(long now)
        {
            if (parent.MaxAge is not { } age)
            {
                return;
            }

            while (_order.TryPeek(out var oldest) && parent.Time.GetElapsedTime(oldest.Timestamp, now) >= age)
            {
                _keys.Remove(_order.Dequeue().Key);
            }
        }
    }
}
