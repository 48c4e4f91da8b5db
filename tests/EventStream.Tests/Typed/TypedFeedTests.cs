using System.Reactive.Linq;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using EventStream.Typed;

namespace EventStream.Tests.Typed;

public class TypedFeedTests
{
    [Fact]
    public async Task Feed_WithStandardCatalog_DeliversEveryEventTypedWithoutViolations_AndOfTypeSelects()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Seed = 11);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        IReadOnlyList<SimulatedEvent> backlog = simulator.AddBacklog(3_000, now.AddHours(-2), now.AddHours(-1));
        var violations = new List<PlanViolation>();
        await using var feed = new EventFeed(Loopback.ClientFor(simulator), new FeedOptions
        {
            Start = FeedStart.Beginning,
            Catalog = IntileryEvents.Catalog.WithViolationHandler(v => { lock (violations) { violations.Add(v); } }),
        })
        { StopWhenCaughtUp = true };
        var orders = new List<IntileryEvents.OrderCompleted>();
        using IDisposable subscription = feed.OfType<IntileryEvents.OrderCompleted>().Subscribe(orders.Add);

        var all = new List<IntileryEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await foreach (IntileryEvent e in feed.ReadAllAsync(timeout.Token))
        {
            all.Add(e);
        }

        await feed.Completion;
        Assert.Equal(backlog.Count, all.Count);
        Assert.All(all, e => Assert.IsAssignableFrom<EventStream.Typed.PlannedEvent>(e));
        Assert.True(violations.Count == 0, string.Join("\n", violations.Take(10)));
        Assert.Equal(backlog.Count(e => e.Action == "order_completed"), orders.Count);
        Assert.NotEmpty(orders);
        // The typed values are the JSON's values (the simulator leaves some optional properties out).
        Assert.All(orders, o => Assert.Equal(
            o.Properties!.Value.TryGetProperty("order_id", out var id) ? id.GetString() : null,
            o.OrderId));
        Assert.All(orders, o => Assert.Equal(
            o.Properties!.Value.TryGetProperty("revenue", out var revenue) ? revenue.GetDouble() : null,
            o.Revenue));
        Assert.Contains(orders, o => o.OrderId is not null);
    }
}
