using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using EventStream.Diagnostics;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Diagnostics;

/// <summary>The <c>EventStream</c> meter and activity source, read the way OpenTelemetry reads them.</summary>
public class TelemetryTests
{
    [Fact]
    public async Task Feed_ReportsEventsRequestsRetriesLagAndGauges_TaggedWithItsBrand()
    {
        string brand = "B" + Guid.NewGuid().ToString("N")[..8]; // other tests' feeds report to the same meter
        var measurements = new ConcurrentBag<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EventStreamTelemetry.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void OnMeasurement<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            var bag = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                bag[tag.Key] = tag.Value;
            }

            if (Equals(bag.GetValueOrDefault("eventstream.brand"), brand))
            {
                measurements.Add((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), bag));
            }
        }

        listener.SetMeasurementEventCallback<long>(OnMeasurement);
        listener.SetMeasurementEventCallback<double>(OnMeasurement);
        listener.Start();
        var spans = new ConcurrentBag<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = source => source.Name == EventStreamTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (Equals(a.GetTagItem("eventstream.brand"), brand))
                {
                    spans.Add(a);
                }
            },
        };
        ActivitySource.AddActivityListener(activities);

        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.BrandId = brand; o.ErrorRate = 0.3; o.Seed = 9; });
        IReadOnlyList<SimulatedEvent> events = simulator.AddBacklog(1_500, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        await using var feed = new EventFeed(Loopback.OptionsFor(simulator), new FeedOptions { Start = FeedStart.Beginning });
        int read = 0;
        await foreach (IntileryEvent _ in feed.ReadAllAsync())
        {
            if (++read == 700)
            {
                listener.RecordObservableInstruments(); // the gauges, while the feed runs
            }

            if (read == events.Count)
            {
                break;
            }
        }

        await feed.DisposeAsync(); // no request in flight once disposed: the counts below are final

        double Sum(string name) => measurements.Where(m => m.Instrument == name).Sum(m => m.Value);
        int Count(string name) => measurements.Count(m => m.Instrument == name);

        Assert.Equal(events.Count, Sum("eventstream.feed.events"));
        Assert.Equal(events.Count, Count("eventstream.event.lag"));
        Assert.Equal(events.Count, Count("eventstream.event.delivery_delay"));
        Assert.All(measurements.Where(m => m.Instrument == "eventstream.event.lag"), m => Assert.InRange(m.Value, 0, 3_600));
        // Every request the simulator received, less one that disposing may have cancelled in flight (no outcome to count).
        long received = simulator.RequestCount;
        long answered = (long)Sum("eventstream.client.requests");
        Assert.InRange(answered, received - 1, received);
        Assert.Equal(answered, Count("eventstream.client.request.duration"));
        Assert.Contains(measurements, m => m.Instrument == "eventstream.client.requests" && Equals(m.Tags["http.response.status_code"], 200));
        Assert.Contains(measurements, m => m.Instrument == "eventstream.client.requests" && m.Tags.GetValueOrDefault("http.response.status_code") is >= 500);
        Assert.Equal(feed.Counters.Retries, Sum("eventstream.client.retries"));
        Assert.True(Sum("eventstream.client.retries") > 0);
        Assert.True(measurements.Any(m => m.Instrument == "eventstream.feed.buffer.depth"), string.Join(",", measurements.Select(m => m.Instrument).Distinct()));
        Assert.Contains(measurements, m => m.Instrument == "eventstream.feed.behind");
        Assert.InRange(spans.Count, answered, answered + 1);
        Assert.All(spans, s => Assert.Equal("GET events", s.DisplayName));
        Assert.Contains(spans, s => s.Status == ActivityStatusCode.Error && s.GetTagItem("eventstream.request_id") is string);
    }
}
