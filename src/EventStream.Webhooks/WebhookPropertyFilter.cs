using System.Text.Json;
using EventStream.Parsing;

namespace EventStream.Webhooks;

/// <summary>
/// A condition on a property of <c>rawData.properties</c> (or, for identify events, <c>rawData.traits</c>), with the
/// semantics of <see cref="Operators.WherePropertyExtensions.WhereProperty{T}(IObservable{T}, string, Func{JsonElement, bool})"/>:
/// an event without the property does not match.
/// </summary>
public sealed class WebhookPropertyFilter
{
    private readonly Func<JsonElement, bool> _predicate;

    /// <summary>A filter that tests the property's JSON value.</summary>
    /// <param name="name">The property name, e.g. <c>currency</c>.</param>
    /// <param name="predicate">The test on its value.</param>
    public WebhookPropertyFilter(string name, Func<JsonElement, bool> predicate)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(predicate);
        Name = name;
        _predicate = predicate;
    }

    /// <summary>The property's name.</summary>
    public string Name { get; }

    /// <summary>A filter matching a string property equal to <paramref name="value"/> (ordinal).</summary>
    /// <param name="name">The property name.</param>
    /// <param name="value">The value.</param>
    /// <returns>The filter.</returns>
    public static WebhookPropertyFilter Is(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new WebhookPropertyFilter(name, json => json.ValueKind == JsonValueKind.String && json.ValueEquals(value));
    }

    /// <summary>Whether the event has the property and its value passes.</summary>
    /// <param name="e">The event.</param>
    /// <returns><see langword="true"/> when it matches.</returns>
    public bool Matches(IntileryEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        JsonElement? bag = e.Properties ?? e.Traits;
        return bag is { ValueKind: JsonValueKind.Object } properties
            && properties.TryGetProperty(Name, out JsonElement property)
            && _predicate(property);
    }
}
