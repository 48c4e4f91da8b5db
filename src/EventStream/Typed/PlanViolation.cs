namespace EventStream.Typed;

/// <summary>One value of one event that does not match the tracking plan. The event is still delivered with what could be read.</summary>
/// <param name="EventId">The event's <c>eventId</c>.</param>
/// <param name="EventAction">The event's action.</param>
/// <param name="Path">Where the value is, from the payload: <c>properties.products[].price</c> or <c>traits.email</c>.</param>
/// <param name="Kind">What is wrong.</param>
/// <param name="Expected">What the plan says, e.g. <c>integer</c>, <c>date-time</c>, <c>one of linear, dynamic</c>.</param>
/// <param name="Actual">The value found (its JSON text, shortened), or <see langword="null"/> when absent.</param>
public sealed record PlanViolation(string EventId, string EventAction, string Path, PlanViolationKind Kind, string Expected, string? Actual)
{
    /// <summary>A one-line description, e.g. <c>order_completed 7f…: properties.revenue is "12.5" (a string), expected number</c>.</summary>
    public string Message => Kind switch
    {
        PlanViolationKind.MissingRequired => $"{EventAction} {EventId}: {Path} is missing (required)",
        _ => $"{EventAction} {EventId}: {Path} is {Actual}, expected {Expected}",
    };

    /// <inheritdoc />
    public override string ToString() => Message;
}
