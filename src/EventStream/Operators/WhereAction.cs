using EventStream.Parsing;

namespace EventStream.Operators;

/// <summary>Client-side filter by event action (for the server-side one, use <see cref="Feed.FeedOptions.Include"/>).</summary>
public static class WhereActionExtensions
{
    /// <summary>Keeps events whose <see cref="IntileryEvent.EventAction"/> is one of <paramref name="actions"/>.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="source">The source.</param>
    /// <param name="actions">The actions to keep, e.g. <c>order_completed</c>.</param>
    /// <returns>The filtered source.</returns>
    public static IObservable<T> WhereAction<T>(this IObservable<T> source, params IEnumerable<string> actions)
        where T : IntileryEvent
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(actions);
        var set = new HashSet<string>(actions, StringComparer.Ordinal);
        if (set.Count == 0 || set.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("Give at least one non-empty action.", nameof(actions));
        }

        return new WhereActionObservable<T>(source, set);
    }
}

internal sealed class WhereActionObservable<T>(IObservable<T> source, HashSet<string> actions) : IObservable<T>
    where T : IntileryEvent
{
    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        return source.Subscribe(new Observer(actions, observer));
    }

    private sealed class Observer(HashSet<string> actions, IObserver<T> downstream) : IObserver<T>
    {
        public void OnNext(T value)
        {
            if (actions.Contains(value.EventAction))
            {
                downstream.OnNext(value);
            }
        }

        public void OnError(Exception error) => downstream.OnError(error);

        public void OnCompleted() => downstream.OnCompleted();
    }
}
