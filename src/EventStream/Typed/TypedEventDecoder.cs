using EventStream.Parsing;

namespace EventStream.Typed;

/// <summary>A generated catalog's dispatch: decodes <paramref name="untyped"/> if <paramref name="eventAction"/> is planned.</summary>
/// <param name="eventAction">The event's action, UTF-8.</param>
/// <param name="untyped">The event as read from the page.</param>
/// <param name="reader">The reader over the event's payload, which collects violations.</param>
/// <returns>The typed event, or <see langword="null"/> when the action is not in the plan.</returns>
public delegate PlannedEvent? TypedEventDecoder(ReadOnlySpan<byte> eventAction, IntileryEvent untyped, ref PlanReader reader);
