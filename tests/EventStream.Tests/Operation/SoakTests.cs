using System.Globalization;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using Xunit.Abstractions;

namespace EventStream.Tests.Operation;

/// <summary>
/// A long live run on a fake clock: 50 events/s, 10% of them late (within MaxLateness), 1% of requests failing.
/// Memory stays flat after warm-up, requests per minute stay constant, every event arrives once. CI runs a simulated
/// hour; <c>EVENTSTREAM_SOAK_HOURS=24 dotnet test --filter FullyQualifiedName~SoakTests</c> runs the day (RESULTS.md).
/// </summary>
[Collection(Alone.Name)] // alone in the process: it measures the managed heap, which parallel tests would disturb
public class SoakTests(ITestOutputHelper output)
{
    private static readonly double Hours = double.TryParse(Environment.GetEnvironmentVariable("EVENTSTREAM_SOAK_HOURS"), NumberStyles.Float, CultureInfo.InvariantCulture, out double h) ? h : 1;

    [Fact]
    public async Task LiveFor24SimulatedHours_MemoryFlat_RequestsPerMinuteConstant_EveryEventOnce()
    {
        var t0 = new DateTimeOffset(2026, 11, 26, 0, 0, 0, TimeSpan.Zero);
        var time = new FakeTimeProvider(t0);
        var random = new Random(24);
        var api = new InMemoryApi(time, fail: _ => random.NextDouble() < 0.01) { Latency = TimeSpan.FromMilliseconds(20), RecordQueries = false, ClientRetries = 2 };
        var pending = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal); // added, not yet delivered
        long added = 0, delivered = 0, late = 0, unexpected = 0;
        DateTimeOffset next = t0.AddSeconds(1); // the traffic starts after the feed (which starts at "now")
        api.BeforeQuery = now =>
        {
            for (; next <= now; next = next.AddMilliseconds(20))
            {
                // 50 events/s; one in ten arrives 1-20 s after its event time (MaxLateness is 30 s).
                bool isLate = random.Next(10) == 0;
                DateTimeOffset eventTime = isLate ? next.AddMilliseconds(-random.Next(1_000, 20_000)) : next;
                SimulatedEvent e = api.Add(eventTime, next);
                pending[e.EventId] = next;
                added++;
                late += isLate ? 1 : 0;
            }
        };
        EngineDriver driver = EngineDriver.Create(api, o => { o.Start = FeedStart.Now; o.MaxLateness = TimeSpan.FromSeconds(30); });
        driver.KeepDelivered = false;
        driver.Delivering = (e, now) =>
        {
            delivered++;
            if (!pending.Remove(e.EventId))
            {
                unexpected++; // a duplicate (or an event from before the start)
            }
        };

        var memory = new List<long>();
        var dedupe = new List<int>();
        var perMinute = new List<long>();
        long requestsAtMinute = 0;
        int minutes = (int)(Hours * 60);
        for (int minute = 1; minute <= minutes; minute++)
        {
            await driver.RunUntilTimeAsync(t0.AddMinutes(minute));
            perMinute.Add(driver.Engine.Requests - requestsAtMinute);
            requestsAtMinute = driver.Engine.Requests;
            if (minute % 10 == 0)
            {
                api.RemoveBefore(time.GetUtcNow().AddMinutes(-5)); // the API's own memory is not the feed's
                memory.Add(GC.GetTotalMemory(forceFullCollection: true));
                dedupe.Add(driver.Engine.DedupeCount);
            }

            // Everything added more than MaxLateness + a slice + a poll ago has been delivered.
            DateTimeOffset due = time.GetUtcNow().AddSeconds(-45);
            Assert.DoesNotContain(pending, p => p.Value < due);
        }

        int warm = Math.Min(5, perMinute.Count - 1);
        long[] steady = [.. perMinute.Skip(warm)];
        double median = steady.Order().ElementAt(steady.Length / 2);
        output.WriteLine($"{Hours} h: {added:N0} events added ({late:N0} late), {delivered:N0} delivered, {pending.Count} in the last 45 s; "
            + $"requests/min min {steady.Min()} median {median} max {steady.Max()}; transient failures {driver.TransientFailures}; "
            + $"managed memory every 10 min (MB): {string.Join(' ', memory.Select(m => (m / 1e6).ToString("F1", CultureInfo.InvariantCulture)))}");

        Assert.Equal(0, unexpected);
        Assert.Equal(added, delivered + pending.Count);
        Assert.All(steady, n => Assert.InRange(n, median * 0.85, median * 1.15));
        Assert.InRange(median / 60, 0.5, 3.0);
        // Flat: after warm-up (the first 20 minutes), the managed heap moves by no more than 20%.
        Assert.All(dedupe, n => Assert.InRange(n, 1, 50 * 60)); // the feed's own state: about a minute of ids, not a day's
        long[] settled = [.. memory.Skip(2)];
        Assert.True(settled.Max() <= settled.Min() * 1.2, $"memory grew: {string.Join(", ", settled)}");
        Assert.True(settled.Length >= 3, "run at least an hour");
    }
}
