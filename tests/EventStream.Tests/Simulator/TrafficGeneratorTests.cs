using EventStream.Simulator;
using EventStream.Simulator.Internal;
using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Simulator;

/// <summary>
/// Live traffic on a fake clock, with retention: the store stays bounded however long it runs. The long run is two
/// simulated hours in CI (twelve windows); <c>EVENTSTREAM_SOAK_HOURS=24 dotnet test --filter FullyQualifiedName~TrafficGeneratorTests</c>
/// runs the day (17 million events, about a minute here; RESULTS.md).
/// </summary>
public class TrafficGeneratorTests
{
    private static readonly double Hours = double.TryParse(Environment.GetEnvironmentVariable("EVENTSTREAM_SOAK_HOURS"), NumberStyles.Float, CultureInfo.InvariantCulture, out double h) ? Math.Max(h, 1) : 2;

    private static readonly DateTimeOffset T0 = new(2024, 5, 14, 0, 0, 0, TimeSpan.Zero);
    private static readonly byte[] s_json = "{}"u8.ToArray();

    // Events without their JSON (an hour at 200/s is 720,000 of them): the generator's times, the store's work.
    private static SimulatedEvent Cheap(ref long next, DateTimeOffset eventTime, DateTimeOffset received, DateTimeOffset visible)
        => new((next++).ToString(CultureInfo.InvariantCulture), "page", eventTime, received, visible, s_json);

    [Fact]
    public async Task LiveTraffic_HoursAt200PerSecond_StoreStaysWithinItsWindowAndCap()
    {
        var time = new FakeTimeProvider(T0);
        var options = new SimulatorOptions
        {
            TimeProvider = time, LiveRate = 200, LateShare = 0.1, MaxLate = TimeSpan.FromSeconds(5), BurstShare = 0.05, MaxBurstSize = 20,
            Retention = TimeSpan.FromMinutes(10), MaxEvents = 150_000,
        };
        var brand = new SimulatedBrand(0, options);
        long next = 0;
        await using var traffic = new TrafficGenerator(options, [brand], (_, t, r, v) => Cheap(ref next, t, r, v));
        traffic.Start();

        int most = 0;
        int seconds = (int)(Hours * 3600);
        for (int second = 0; second < seconds; second++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            most = Math.Max(most, brand.EventCount);
        }

        DateTimeOffset now = time.GetUtcNow();
        long generated = next;
        (long total, List<SimulatedEvent> page) = brand.Store.Query(
            new EventQuery(null, null, T0, now.AddMinutes(-11), Descending: false, From: 0, Size: 100, Inclusive: false), now);

        Assert.InRange(generated, seconds * 200 * 0.99, seconds * 200 * 1.01);
        Assert.InRange(most, 1, 126_000); // never more than the window's ten minutes (and so within the 150,000 cap)
        Assert.InRange(brand.EventCount, 600 * 200 * 0.95, 600 * 200 * 1.05); // the window is full: ten minutes' worth
        Assert.True(brand.Store.OldestVisible() >= now - TimeSpan.FromMinutes(10), $"oldest held {brand.Store.OldestVisible():O} at {now:O}");
        Assert.Equal(generated - brand.EventCount, brand.DroppedEventCount);
        Assert.Equal(0, total); // everything before the window is gone: the range answers empty
        Assert.Empty(page);
    }

    [Fact]
    public async Task LiveTraffic_CountCapBelowTheWindow_NeverHoldsMoreThanTheCap()
    {
        var time = new FakeTimeProvider(T0);
        var options = new SimulatorOptions { TimeProvider = time, LiveRate = 200, Retention = TimeSpan.FromHours(1), MaxEvents = 10_000 };
        var brand = new SimulatedBrand(0, options);
        long next = 0;
        await using var traffic = new TrafficGenerator(options, [brand], (_, t, r, v) => Cheap(ref next, t, r, v));
        traffic.Start();

        int most = 0;
        for (int tick = 0; tick < 30_000; tick++) // 10 minutes in 20 ms ticks: 120,000 events
        {
            time.Advance(TrafficGenerator.Tick);
            most = Math.Max(most, brand.EventCount);
        }

        Assert.Equal(10_000, most);
        Assert.Equal(10_000, brand.EventCount);
        Assert.True(brand.Store.OldestVisible() >= time.GetUtcNow() - TimeSpan.FromSeconds(51), "the newest 10,000 (50 s at 200/s) are the ones kept");
    }

    [Fact]
    public async Task LiveTraffic_WithoutRetention_KeepsEverything()
    {
        var time = new FakeTimeProvider(T0);
        var options = new SimulatorOptions { TimeProvider = time, LiveRate = 200 };
        var brand = new SimulatedBrand(0, options);
        long next = 0;
        await using var traffic = new TrafficGenerator(options, [brand], (_, t, r, v) => Cheap(ref next, t, r, v));
        traffic.Start();

        time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(next, brand.EventCount);
        Assert.Equal(0, brand.DroppedEventCount);
    }
}
