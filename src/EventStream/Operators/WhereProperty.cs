using System.Text.Json;
using EventStream.Parsing;

namespace EventStream.Operators;

/// <summary>Client-side filter on a property of <c>rawData.properties</c> (or, for identify events, <c>rawData.traits</c>).</summary>
public static class WherePropertyExtensions
{
    /// <summary>Keeps events that have property <paramref name="name"/> and whose value satisfies <paramref name="predicate"/>.</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="source">The source.</param>
    /// <param name="name">The property name, e.g. <c>currency</c>.</param>
    /// <param name="predicate">The test on the property's JSON value.</param>
    /// <returns>The filtered source.</returns>
    public static IObservable<T> WhereProperty<T>(this IObservable<T> source, string name, Func<JsonElement, bool> predicate)
        where T : IntileryEvent
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return source.WhereProperty(name, static (value, p) => p(value), predicate);
    }

    /// <summary>Keeps events whose property <paramref name="name"/> satisfies <paramref name="predicate"/>, given a state (no closure).</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <typeparam name="TState">The state's type.</typeparam>
    /// <param name="source">The source.</param>
    /// <param name="name">The property name.</param>
    /// <param name="predicate">The test on the property's JSON value and the state.</param>
    /// <param name="state">The state handed to <paramref name="predicate"/>.</param>
    /// <returns>The filtered source.</returns>
    public static IObservable<T> WhereProperty<T, TState>(this IObservable<T> source, string name, Func<JsonElement, TState, bool> predicate, TState state)
        where T : IntileryEvent
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(predicate);
        return new WherePropertyObservable<T, TState>(source, name, predicate, state);
    }

    /// <summary>Keeps events whose string property <paramref name="name"/> equals <paramref name="value"/> (ordinal).</summary>
    /// <typeparam name="T">The event type.</typeparam>
    /// <param name="source">The source.</param>
    /// <param name="name">The property name.</param>
    /// <param name="value">The value to match.</param>
    /// <returns>The filtered source.</returns>
    public static IObservable<T> WhereProperty<T>(this IObservable<T> source, string name, string value)
        where T : IntileryEvent
        => source.WhereProperty(name, static (json, v) => json.ValueKind == JsonValueKind.String && json.ValueEquals(v), value);
}

internal sealed class WherePropertyObservable<T, TState>(IObservable<T> source, string name, Func<JsonElement, TState, bool> predicate, TState state) : IObservable<T>
    where T : IntileryEvent
{
    private string Name { get; } = name;

    private Func<JsonElement, TState, bool> Predicate { get; } = predicate;

    private TState State { get; } = state;

    public IDisposable Subscribe(IObserver<T> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        return source.Subscribe(new Observer(this, observer));
    }

    private sealed class Observer(WherePropertyObservable<T, TState> parent, IObserver<T> downstream) : IObserver<T>
    {
        public void OnNext(T value)
        {
            bool keep;
            try
            {
                JsonElement? bag = value.Properties ?? value.Traits;
                keep = bag is { ValueKind: JsonValueKind.Object } properties
                    && properties.TryGetProperty(parent.Name, out JsonElement property)
                    && parent.Predicate(property, parent.State);
            }
            catch (Exception ex)
            {
                downstream.OnError(ex);
                return;
            }

            if (keep)
            {
                downstream.OnNext(value);
            }
        }

        public void OnError(Exception error) => downstream.OnError(error);

        public void OnCompleted() => downstream.OnCompleted();
    }
}
