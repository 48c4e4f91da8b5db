namespace EventStream.Simulator;

/// <summary>An event held by the simulator: its JSON as served, and when it becomes visible to queries.</summary>
/// <param name="EventId">The unique id.</param>
/// <param name="Action">The <c>eventAction</c>.</param>
/// <param name="EventTime">When it happened.</param>
/// <param name="ReceivedTime">When the server received it.</param>
/// <param name="VisibleAt">When queries start to return it (receipt plus index delay).</param>
/// <param name="Json">The event object exactly as served (UTF-8).</param>
public sealed record SimulatedEvent(string EventId, string Action, DateTimeOffset EventTime, DateTimeOffset ReceivedTime, DateTimeOffset VisibleAt, byte[] Json)
{
    internal long Sequence { get; set; }
}
