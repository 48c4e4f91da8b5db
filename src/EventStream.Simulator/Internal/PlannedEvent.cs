using System.Text.Json;

namespace EventStream.Simulator.Internal;

/// <summary>An event of a tracking plan: its action key, display name and properties schema.</summary>
internal sealed record PlannedEvent(string Action, string Name, JsonElement? Properties);
