using EventStream.Parsing;

namespace EventStream.Typed;

/// <summary>
/// The base of every event class generated from a tracking plan: the envelope and JSON of <see cref="IntileryEvent"/>
/// plus the plan's properties (on the generated class) and any <see cref="Violations"/> found while reading them.
/// </summary>
public abstract class PlannedEvent : IntileryEvent
{
    /// <summary>Takes the envelope of the event the reader is on; called by generated code.</summary>
    /// <param name="reader">The reader the catalog passed to the generated decoder.</param>
    protected PlannedEvent(ref PlanReader reader) : base(ref reader)
    {
    }

    /// <summary>Values of this event that do not match the plan (empty when it matches). Properties with a violation hold what could be read, or their default.</summary>
    public IReadOnlyList<PlanViolation> Violations { get; internal set; } = [];

    /// <summary>The generated decoder that built this event (to build it again over a copy of its JSON: <see cref="IntileryEvent.Detach"/>).</summary>
    internal TypedEventDecoder? Decoder { get; set; }
}
