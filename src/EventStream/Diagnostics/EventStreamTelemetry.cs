namespace EventStream.Diagnostics;

/// <summary>
/// The names under which the library reports metrics (<see cref="System.Diagnostics.Metrics.Meter"/>) and traces
/// (<see cref="System.Diagnostics.ActivitySource"/>), for OpenTelemetry's <c>AddMeter</c>/<c>AddSource</c> or a
/// <see cref="System.Diagnostics.Metrics.MeterListener"/>. Instruments and their units are listed in the README.
/// </summary>
public static class EventStreamTelemetry
{
    /// <summary>The meter's and the activity source's name: <c>EventStream</c>.</summary>
    public const string Name = "EventStream";
}
