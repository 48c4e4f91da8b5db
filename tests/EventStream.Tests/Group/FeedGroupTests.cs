using System.Text.Json;
using EventStream.Api;
using EventStream.Feed;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Group;

/// <summary>Many feeds in one process, over a simulator hosting many brands (real HTTP on loopback).</summary>
public class FeedGroupTests
{
    private static EventsApiOptions Api(IntilerySimulator simulator, SimulatedBrand brand) => Loopback.OptionsFor(simulator, o =>
    {
        o.BrandId = brand.BrandId;
        o.AuthToken = brand.Token;
    });

    [Fact]
    public async Task Simulator_HostsManyBrands_EachWithItsTokenAndEvents()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Brands = 3; o.Backlog = 300; o.BacklogAge = TimeSpan.FromHours(1); });

        Assert.Equal(["DEMO", "DEMO2", "DEMO3"], simulator.Brands.Select(b => b.BrandId));
        Assert.Equal(3, simulator.Brands.Select(b => b.Token).Distinct().Count());
        Assert.Equal(300, simulator.Brands.Sum(b => b.EventCount));
        Assert.All(simulator.Brands, b => Assert.InRange(b.EventCount, 50, 150)); // spread at random
        Assert.All(simulator.Brands, b => Assert.All(b.Snapshot(), e => Assert.Equal(b.BrandId, JsonDocument.Parse(e.Json).RootElement.GetProperty("brandId").GetString())));

        // A brand's token opens only that brand: another brand's URL with it is a 403.
        using var wrong = new EventsApiClient(Loopback.OptionsFor(simulator, o => { o.BrandId = "DEMO2"; o.AuthToken = simulator.Brands[2].Token; }));
        var ex = await Assert.ThrowsAsync<EventsApiException>(() => wrong.GetPageAsync(new EventsQuery()));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, ex.StatusCode);
    }

    [Fact]
    public async Task Group_MergesItsFeeds_EveryEventOnce_EachNamingItsFeed_AndAFaultedFeedEndsAlone()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Brands = 4; o.Backlog = 2_000; o.BacklogAge = TimeSpan.FromHours(1); });
        await using var group = new FeedGroup();
        foreach (SimulatedBrand brand in simulator.Brands.Take(3))
        {
            group.Add(brand.BrandId, Api(simulator, brand), new FeedOptions { Start = FeedStart.Beginning, Until = DateTimeOffset.UtcNow.AddMinutes(-30) });
        }

        // The fourth with a token that is not its own: the API refuses it (403), and it alone ends.
        group.Add("refused", Loopback.OptionsFor(simulator, o => { o.BrandId = simulator.Brands[3].BrandId; o.AuthToken = simulator.Brands[0].Token; }), new FeedOptions { Start = FeedStart.Beginning });
        var statuses = new List<FeedGroupStatus>();
        using IDisposable watching = group.Status.Subscribe(s => { lock (statuses) { statuses.Add(s); } });

        var got = new List<FeedEvent>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (FeedEvent e in group.ReadAllAsync(timeout.Token))
        {
            got.Add(e);
        }

        var expected = simulator.Brands.Take(3).SelectMany(b => b.Snapshot().Select(e => (b.BrandId, e.EventId))).OrderBy(x => x.EventId).ToList();
        Assert.Equal(expected, got.Select(e => (e.Feed, e.Event.EventId)).OrderBy(x => x.EventId).ToList()); // every event once, from its own feed
        Assert.All(got, e => Assert.Equal(e.Feed, JsonDocument.Parse(e.Event.Json).RootElement.GetProperty("brandId").GetString()));
        lock (statuses)
        {
            FeedGroupStatus refused = Assert.Single(statuses, s => s.Feed == "refused" && s.Status.State == FeedState.Faulted);
            Assert.Contains("403", refused.Status.Error!.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Group_AReaderThatStopsEarly_LeavesNoReaderBehind_SoTheFeedsGoOn()
    {
        // Brand DEMO has a backlog; DEMO2 has nothing yet, so its reader waits for an event when the loop breaks.
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Brands = 2);
        simulator.AddBacklog(1_000, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        await using var group = new FeedGroup();
        // The stream is hot: what the first reader's buffer holds when it leaves goes with it. A buffer of 100 keeps at least
        // ~800 of the 1,000 for the next reader however far the feed has run ahead (with the default 1,000 a slow test
        // thread let the first reader's buffer take the whole backlog, and the next reader waited for events that had gone).
        group.Add("DEMO", Api(simulator, simulator.Brands[0]), new FeedOptions { Start = FeedStart.Beginning, BufferCapacity = 100 });
        group.Add("DEMO2", Api(simulator, simulator.Brands[1]), new FeedOptions { Start = FeedStart.Beginning }); // live, nothing comes

        int taken = 0;
        await foreach (FeedEvent _ in group.ReadAllAsync())
        {
            if (++taken == 10)
            {
                break; // the other feeds' readers were waiting for their next event
            }
        }

        // Every feed's reader is gone: none is left registered as a consumer that never takes (it would hold back the
        // feed's checkpoint and, once its buffer filled, stall the feed for everyone).
        Assert.All(group.Names, name => Assert.Equal(0, group[name].ReaderCount));

        // And the feeds go on for the next reader.
        int more = 0;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (FeedEvent _ in group.ReadAllAsync(timeout.Token))
        {
            if (++more == 100)
            {
                break;
            }
        }

        Assert.Equal(100, more);
    }

    [Fact]
    public async Task Group_AsAnObservable_SerializesTheFeeds_AndCompletesWhenAllHaveEnded()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Brands = 5; o.Backlog = 1_500; o.BacklogAge = TimeSpan.FromHours(1); });
        await using var group = new FeedGroup();
        foreach (SimulatedBrand brand in simulator.Brands)
        {
            group.Add(brand.BrandId, Api(simulator, brand), new FeedOptions { Start = FeedStart.Beginning, Until = DateTimeOffset.UtcNow.AddMinutes(-30) });
        }

        int inside = 0, overlapped = 0;
        var ids = new List<string>();
        var done = new TaskCompletionSource();
        using IDisposable subscription = group.Subscribe(System.Reactive.Observer.Create<FeedEvent>(
            e =>
            {
                if (Interlocked.Increment(ref inside) > 1)
                {
                    overlapped++;
                }

                ids.Add(e.Event.EventId);
                Thread.SpinWait(200);
                Interlocked.Decrement(ref inside);
            },
            ex => done.TrySetException(ex),
            () => done.TrySetResult()));
        await done.Task.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, overlapped);
        Assert.Equal(simulator.Snapshot().Select(e => e.EventId).Order(), ids.Order());
    }
}
