namespace EventStream.Typed;

/// <summary>A generated catalog's dispatch: decodes the event the reader is on if <paramref name="eventAction"/> is planned.</summary>
/// <param name="eventAction">The event's action, UTF-8.</param>
/// <param name="reader">The reader on the event (its envelope, then its payload); it collects violations.</param>
/// <returns>The typed event, or <see langword="null"/> when the action is not in the plan (the reader is then untouched).</returns>
public delegate PlannedEvent? TypedEventDecoder(scoped ReadOnlySpan<byte> eventAction, ref PlanReader reader);
