using System.Globalization;
using System.Text;
using EventStream.Simulator;

namespace EventStream.Tests.Infrastructure;

/// <summary>Events the API might send that a reader must survive: deep nesting, and events that break the envelope.</summary>
internal static class HostileEvents
{
    /// <summary>A real synthetic event whose <c>rawData.properties</c> gains a member nesting arrays <paramref name="depth"/> deep.</summary>
    public static SimulatedEvent DeeplyNested(SyntheticEvents events, DateTimeOffset eventTime, int depth)
    {
        SimulatedEvent e = events.Create(eventTime, eventTime, eventTime, "product_viewed");
        string json = Encoding.UTF8.GetString(e.Json);
        const string Marker = "\"properties\":{";
        int at = json.IndexOf(Marker, StringComparison.Ordinal);
        Assert.True(at > 0, "the synthetic event has rawData.properties");
        bool empty = json[at + Marker.Length] == '}';
        string deep = "\"deep\":" + new string('[', depth) + "1" + new string(']', depth) + (empty ? "" : ",");
        json = json.Insert(at + Marker.Length, deep);
        return e with { Json = Encoding.UTF8.GetBytes(json) };
    }

    /// <summary>A planned event (product_viewed) whose <c>price</c>, a number in the plan, is a string.</summary>
    public static SimulatedEvent BreakingThePlan(SyntheticEvents events, DateTimeOffset eventTime)
    {
        SimulatedEvent e = events.Create(eventTime, eventTime, eventTime, "product_viewed");
        string json = Encoding.UTF8.GetString(e.Json);
        const string Marker = "\"properties\":{";
        int at = json.IndexOf(Marker, StringComparison.Ordinal) + Marker.Length;
        json = json.Insert(at, "\"price\":\"not a number\"" + (json[at] == '}' ? "" : ","));
        return e with { Json = Encoding.UTF8.GetBytes(json) };
    }

    /// <summary>Well-formed JSON that is no event: it has no eventId.</summary>
    public static SimulatedEvent WithoutEventId(DateTimeOffset eventTime)
    {
        string time = eventTime.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        string json = "{\"eventAction\":\"page\",\"eventTime\":\"" + time + "\",\"receivedTime\":\"" + time + "\",\"rawData\":{\"note\":\"no id\"}}";
        return new SimulatedEvent("no-id-" + Guid.NewGuid().ToString("N"), "page", eventTime, eventTime, eventTime, Encoding.UTF8.GetBytes(json));
    }
}
