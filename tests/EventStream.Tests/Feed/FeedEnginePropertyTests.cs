using CsCheck;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Feed;

/// <summary>Random event sets (ties, late arrivals, inserts while paging) and random fault schedules: every event exactly once.</summary>
public class FeedEnginePropertyTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);

    // An event: eventTime (ms after T0, narrow range → many ties) and lag until it becomes visible (≤ MaxLateness).
    private static readonly Gen<(int TimeMs, int LagMs)> GenEvent =
        Gen.Select(Gen.Int[0, 3_000].Select(t => t / 7 * 7), Gen.Frequency((3, Gen.Const(0)), (1, Gen.Int[0, 4_000])));

    private static readonly Gen<((int TimeMs, int LagMs)[] Events, int PageSize, double FailureRate, bool Inclusive, int Seed)> GenCase =
        Gen.Select(GenEvent.Array[0, 400], Gen.Int[3, 40], Gen.Double[0, 0.4], Gen.Bool, Gen.Int);

    [Fact]
    public void RandomEventsAndFaults_DeliveredSetEqualsExpectedSet_NoDuplicates()
    {
        GenCase.Sample(c =>
        {
            var time = new FakeTimeProvider(T0);
            var random = new Random(c.Seed);
            var api = new InMemoryApi(time, c.Inclusive, fail: _ => random.NextDouble() < c.FailureRate);
            var expected = c.Events.Select(e => api.Add(T0.AddMilliseconds(e.TimeMs), T0.AddMilliseconds(e.TimeMs + e.LagMs))).ToList();
            DateTimeOffset lastVisible = expected.Count == 0 ? T0 : expected.Max(e => e.VisibleAt);

            EngineDriver driver = EngineDriver.Create(api, o =>
            {
                o.MaxLateness = TimeSpan.FromSeconds(4);
                o.PollInterval = TimeSpan.FromMilliseconds(250);
                o.PageSize = c.PageSize;
            });
            // Run until well past the point where everything has settled, so that any duplicate would show.
            DateTimeOffset end = lastVisible + TimeSpan.FromSeconds(10);
            driver.RunUntilAsync(() => time.GetUtcNow() > end, maxSteps: 200_000).GetAwaiter().GetResult();

            var delivered = driver.Delivered.Select(e => e.EventId).ToList();
            Assert.Equal(delivered.Count, delivered.Distinct().Count());
            Assert.Equal(expected.Select(e => e.EventId).Order(StringComparer.Ordinal), delivered.Order(StringComparer.Ordinal));
        }, iter: 150);
    }
}
