using System.Text;
using EventStream.Parsing;
using EventStream.Parsing.Internal;

namespace EventStream.Typed;

/// <summary>
/// Decodes events into the typed classes generated from a tracking plan, choosing the class by <c>eventAction</c>
/// (compared as UTF-8 bytes, no string allocated). Events whose action is not planned stay <see cref="IntileryEvent"/>;
/// none is dropped. Values that break the plan go to the violation handler and to <see cref="PlannedEvent.Violations"/>.
/// </summary>
/// <remarks>
/// Every <c>[TrackingPlan]</c> class has a generated <c>Catalog</c>; Intilery's standard events are in
/// <see cref="IntileryEvents.Catalog"/>. Combine catalogs with <see cref="Combine"/>; the first that plans an action decodes it.
/// A catalog is immutable and thread-safe.
/// </remarks>
/// <example>
/// <code>
/// var catalog = EventCatalog.Combine(ShopEvents.Catalog, IntileryEvents.Catalog)
///     .WithViolationHandler(v => logger.LogWarning("{Violation}", v));
/// await using var feed = new EventFeed(api, new FeedOptions { Catalog = catalog });
/// feed.OfType&lt;ShopEvents.OrderCompleted&gt;().Subscribe(order => …);
/// </code>
/// </example>
public sealed class EventCatalog
{
    private const int MaxStackAction = 256;
    private readonly Part[] _parts;

    /// <summary>Creates a catalog for one plan; called by generated code.</summary>
    /// <param name="name">The plan's name (the class carrying <c>[TrackingPlan]</c>).</param>
    /// <param name="actions">The planned actions.</param>
    /// <param name="decoder">The generated dispatch.</param>
    public EventCatalog(string name, IReadOnlyList<string> actions, TypedEventDecoder decoder)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(actions);
        ArgumentNullException.ThrowIfNull(decoder);
        _parts = [new Part(name, [.. actions], decoder, null)];
        Name = name;
        Actions = _parts[0].Actions;
    }

    private EventCatalog(Part[] parts)
    {
        _parts = parts;
        Name = string.Join(" + ", parts.Select(p => p.Name).Distinct());
        Actions = [.. parts.SelectMany(p => p.Actions).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The plan's name, or the names of the combined plans joined by <c> + </c>.</summary>
    public string Name { get; }

    /// <summary>Every action some plan in this catalog decodes.</summary>
    public IReadOnlyList<string> Actions { get; }

    /// <summary>Combines catalogs: each action is decoded by the first catalog that plans it (so list your own plan before the standard one).</summary>
    /// <param name="catalogs">The catalogs, in order of precedence. Each keeps its own violation handler.</param>
    /// <returns>The combined catalog.</returns>
    public static EventCatalog Combine(params ReadOnlySpan<EventCatalog> catalogs)
    {
        if (catalogs.IsEmpty)
        {
            throw new ArgumentException("Combine needs at least one catalog.", nameof(catalogs));
        }

        var parts = new List<Part>();
        foreach (EventCatalog catalog in catalogs)
        {
            ArgumentNullException.ThrowIfNull(catalog, nameof(catalogs));
            parts.AddRange(catalog._parts);
        }

        return new EventCatalog([.. parts]);
    }

    /// <summary>
    /// Returns a catalog that calls <paramref name="onViolation"/> for every value that breaks the plan (like Segment
    /// Typewriter's <c>onViolation</c>). It runs on the thread decoding the event, before the event is delivered;
    /// an exception it throws propagates (to fail fast in tests), so keep it to logging or counting in production.
    /// </summary>
    /// <param name="onViolation">The handler, or <see langword="null"/> for none (the default).</param>
    /// <returns>The configured catalog; this one is unchanged.</returns>
    public EventCatalog WithViolationHandler(Action<PlanViolation>? onViolation)
        => new([.. _parts.Select(p => p with { OnViolation = onViolation })]);

    /// <summary>Whether some plan in this catalog decodes <paramref name="eventAction"/>.</summary>
    /// <param name="eventAction">The action.</param>
    /// <returns>Whether it is planned.</returns>
    public bool Contains(string eventAction) => Actions.Contains(eventAction, StringComparer.Ordinal);

    /// <summary>Decodes an event read without a catalog.</summary>
    /// <param name="untyped">The event.</param>
    /// <returns>Its typed class when its action is planned (already typed events are returned as they are); otherwise <paramref name="untyped"/>.</returns>
    public IntileryEvent Decode(IntileryEvent untyped)
    {
        ArgumentNullException.ThrowIfNull(untyped);
        if (untyped is PlannedEvent)
        {
            return untyped;
        }

        var reader = new PlanReader(untyped);
        return TryDecode(Utf8(untyped.EventAction, stackalloc byte[MaxStackAction]), ref reader) ?? untyped;
    }

    /// <summary>Builds the event a page reader is on: typed when planned, else untyped; the envelope is read once either way.</summary>
    internal IntileryEvent Materialize(in EventFields fields, ReadOnlySpan<byte> buffer, ReadOnlyMemory<byte> json, byte[]? scratch, Utf8StringCache cache)
    {
        var reader = new PlanReader(IntileryEvent.EventState.From(fields, buffer, json, scratch, cache));
        return (IntileryEvent?)TryDecode(fields.EventAction.Resolve(buffer, scratch), ref reader) ?? new IntileryEvent(reader.State);
    }

    private PlannedEvent? TryDecode(scoped ReadOnlySpan<byte> eventAction, ref PlanReader reader)
    {
        foreach (Part part in _parts)
        {
            if (Run(part.Decoder, part.OnViolation, eventAction, ref reader) is { } typed)
            {
                return typed;
            }
        }

        return null;
    }

    // One plan's decoder on the event: the typed event (remembering its decoder, with its violations, each handed to onViolation), or null when unplanned.
    private static PlannedEvent? Run(TypedEventDecoder decoder, Action<PlanViolation>? onViolation, scoped ReadOnlySpan<byte> eventAction, ref PlanReader reader)
    {
        PlannedEvent? typed = decoder(eventAction, ref reader);
        if (typed is null)
        {
            return null;
        }

        typed.Decoder = decoder;
        if (reader.Violations is { } violations)
        {
            typed.Violations = violations;
            if (onViolation is not null)
            {
                foreach (PlanViolation violation in violations)
                {
                    onViolation(violation);
                }
            }
        }

        return typed;
    }

    private static ReadOnlySpan<byte> Utf8(string action, Span<byte> stack)
        => Encoding.UTF8.GetMaxByteCount(action.Length) <= stack.Length ? stack[..Encoding.UTF8.GetBytes(action, stack)] : Encoding.UTF8.GetBytes(action);

    /// <summary>Builds a typed event again over <paramref name="own"/> (its envelope with a copy of its JSON), with the decoder that built it; violation handlers are not called again.</summary>
    internal static IntileryEvent Redecode(PlannedEvent typed, IntileryEvent own)
    {
        if (typed.Decoder is not { } decoder)
        {
            return own;
        }

        var reader = new PlanReader(own);
        return Run(decoder, onViolation: null, Utf8(own.EventAction, stackalloc byte[MaxStackAction]), ref reader) ?? own;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Actions.Count} actions)";

    private sealed record Part(string Name, string[] Actions, TypedEventDecoder Decoder, Action<PlanViolation>? OnViolation);
}
