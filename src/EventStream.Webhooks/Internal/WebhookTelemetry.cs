using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using EventStream.Diagnostics;

namespace EventStream.Webhooks.Internal;

/// <summary>
/// The forwarder's instruments on the <c>EventStream</c> meter (OpenTelemetry naming, as the core's). Every measurement
/// carries <c>eventstream.route</c>, the route's name.
/// </summary>
internal static class WebhookTelemetry
{
    private static readonly Meter Meter = new(EventStreamTelemetry.Name, typeof(WebhookTelemetry).Assembly.GetName().Version?.ToString());

    private static readonly ConcurrentDictionary<RouteDelivery, byte> Routes = new();

    public static readonly Counter<long> Attempts = Meter.CreateCounter<long>("eventstream.webhook.attempts", "{attempt}", "Delivery attempts, by http.response.status_code (error.type when no response came).");

    public static readonly Counter<long> Delivered = Meter.CreateCounter<long>("eventstream.webhook.delivered", "{event}", "Events delivered (2xx).");

    public static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>("eventstream.webhook.dead_lettered", "{event}", "Events dead-lettered, by eventstream.reason.");

    public static readonly Histogram<double> AckLatency = Meter.CreateHistogram<double>("eventstream.webhook.ack_latency", "s", "From the event's receivedTime to the receiver's 2xx (by the forwarder's clock).");

    static WebhookTelemetry()
    {
        Meter.CreateObservableGauge("eventstream.webhook.queue.depth", () => Routes.Keys.Select(r => new Measurement<long>(r.Queued, Route(r.Name))), "{event}", "Events a route holds: queued, in flight or waiting for a retry.");
        Meter.CreateObservableGauge("eventstream.webhook.routes.disabled", () => Routes.Keys.Select(r => new Measurement<long>(r.Disabled ? 1 : 0, Route(r.Name))), "{route}", "1 while a route is disabled (its endpoint answered 410 Gone).");
    }

    public static KeyValuePair<string, object?> Route(string name) => new("eventstream.route", name);

    public static void Track(RouteDelivery route) => Routes[route] = 0;

    public static void Forget(RouteDelivery route) => Routes.TryRemove(route, out _);
}
