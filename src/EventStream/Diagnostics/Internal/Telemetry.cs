using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EventStream.Diagnostics.Internal;

/// <summary>
/// The library's instruments, in OpenTelemetry's naming style (dotted lower-case names, UCUM units, <c>{event}</c>-style
/// annotations). Every measurement carries <c>eventstream.brand</c> (the feed's brand id: one value per feed, so
/// low-cardinality) so that several feeds in one process can be told apart.
/// </summary>
internal static class Telemetry
{
    public static readonly ActivitySource Source = new(EventStreamTelemetry.Name, typeof(Telemetry).Assembly.GetName().Version?.ToString());

    private static readonly Meter Meter = new(EventStreamTelemetry.Name, typeof(Telemetry).Assembly.GetName().Version?.ToString());

    private static readonly ConcurrentDictionary<object, Func<(string Brand, double BehindSeconds, long Buffered)>> Feeds = new();

    public static readonly Counter<long> Events = Meter.CreateCounter<long>("eventstream.feed.events", "{event}", "Events handed to consumers.");

    public static readonly Counter<long> LateEvents = Meter.CreateCounter<long>("eventstream.feed.events.late", "{event}", "Events handed to consumers behind the head (IsLate).");

    public static readonly Counter<long> Duplicates = Meter.CreateCounter<long>("eventstream.feed.duplicates", "{event}", "Events read again and dropped by dedupe.");

    public static readonly Counter<long> Requests = Meter.CreateCounter<long>("eventstream.client.requests", "{request}", "Events API requests answered, by http.response.status_code (error.type when no response came).");

    public static readonly Counter<long> Retries = Meter.CreateCounter<long>("eventstream.client.retries", "{retry}", "Events API attempts retried after a transient failure.");

    public static readonly Counter<long> RateLimited = Meter.CreateCounter<long>("eventstream.client.rate_limited", "{response}", "429 Too Many Requests responses.");

    public static readonly Histogram<double> RequestDuration = Meter.CreateHistogram<double>("eventstream.client.request.duration", "s", "Events API request duration, response read and parsed.");

    public static readonly Histogram<double> EventLag = Meter.CreateHistogram<double>("eventstream.event.lag", "s", "receivedTime − eventTime of events handed to consumers.");

    public static readonly Histogram<double> DeliveryDelay = Meter.CreateHistogram<double>("eventstream.event.delivery_delay", "s", "Time from receivedTime to the hand-over to consumers (by the feed's clock).");

    static Telemetry()
    {
        Meter.CreateObservableGauge("eventstream.feed.behind", ObserveBehind, "s", "How far the feed's head is behind the server's clock while catching up (0 when live).");
        Meter.CreateObservableGauge("eventstream.feed.buffer.depth", ObserveBuffered, "{event}", "Events read but not yet handed to consumers.");
    }

    public static KeyValuePair<string, object?> Brand(string brand) => new("eventstream.brand", brand);

    /// <summary>Adds a running feed to the gauges (until <see cref="Forget"/>).</summary>
    public static void Track(object feed, Func<(string Brand, double BehindSeconds, long Buffered)> read) => Feeds[feed] = read;

    public static void Forget(object feed) => Feeds.TryRemove(feed, out _);

    private static IEnumerable<Measurement<double>> ObserveBehind()
    {
        foreach (Func<(string Brand, double BehindSeconds, long Buffered)> read in Feeds.Values)
        {
            (string brand, double behind, _) = read();
            yield return new Measurement<double>(behind, Brand(brand));
        }
    }

    private static IEnumerable<Measurement<long>> ObserveBuffered()
    {
        foreach (Func<(string Brand, double BehindSeconds, long Buffered)> read in Feeds.Values)
        {
            (string brand, _, long buffered) = read();
            yield return new Measurement<long>(buffered, Brand(brand));
        }
    }
}
