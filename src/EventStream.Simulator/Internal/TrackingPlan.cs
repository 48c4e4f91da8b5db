using System.Text.Json;

namespace EventStream.Simulator.Internal;

/// <summary>Intilery's standard tracking plan (<c>data/tracking-plan.json</c>, embedded).</summary>
internal sealed class TrackingPlan
{
    private readonly Dictionary<string, PlannedEvent> _byAction;

    private TrackingPlan(List<PlannedEvent> events)
    {
        Events = events;
        _byAction = events.ToDictionary(e => e.Action, StringComparer.Ordinal);
    }

    public static TrackingPlan Standard { get; } = Load();

    public IReadOnlyList<PlannedEvent> Events { get; }

    public PlannedEvent? Find(string action) => _byAction.GetValueOrDefault(action);

    private static TrackingPlan Load()
    {
        using Stream stream = typeof(TrackingPlan).Assembly.GetManifestResourceStream("tracking-plan.json")
            ?? throw new InvalidOperationException("The embedded tracking plan is missing.");
        using JsonDocument document = JsonDocument.Parse(stream);
        var events = new List<PlannedEvent>();
        foreach (JsonElement e in document.RootElement.GetProperty("events").EnumerateArray())
        {
            events.Add(new PlannedEvent(
                e.GetProperty("action").GetString()!,
                e.GetProperty("name").GetString()!,
                e.TryGetProperty("properties", out JsonElement p) ? p.Clone() : null));
        }

        return new TrackingPlan(events);
    }
}
