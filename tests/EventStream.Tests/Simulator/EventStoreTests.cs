using EventStream.Simulator;
using EventStream.Simulator.Internal;

namespace EventStream.Tests.Simulator;

/// <summary>The simulator's index with retention: what is dropped, and how a query into the dropped range answers.</summary>
public class EventStoreTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);

    private static readonly EventQuery All = new(null, null, null, null, Descending: false, From: 0, Size: 100, Inclusive: false);

    private static SimulatedEvent At(int seconds, string id) => new(id, "page", T0.AddSeconds(seconds), T0.AddSeconds(seconds), T0.AddSeconds(seconds), "{}"u8.ToArray());

    private static EventQuery Between(int fromSeconds, int toSeconds) => All with { Start = T0.AddSeconds(fromSeconds), End = T0.AddSeconds(toSeconds) };

    [Fact]
    public void Query_RangeOlderThanRetention_IsEmptyWithTotalZero()
    {
        var store = new EventStore(retention: TimeSpan.FromSeconds(60), maxEvents: null);
        for (int s = 0; s < 120; s++)
        {
            store.Add(At(s, "e" + s));
        }

        (long total, List<SimulatedEvent> page) = store.Query(Between(-1, 30), T0.AddSeconds(120));

        Assert.Equal(0, total);
        Assert.Empty(page);
    }

    [Fact]
    public void Query_RangeStraddlingTheRetentionEdge_TotalCountsOnlyWhatIsHeld()
    {
        var store = new EventStore(retention: TimeSpan.FromSeconds(60), maxEvents: null);
        for (int s = 0; s < 120; s++)
        {
            store.Add(At(s, "e" + s));
        }

        // At 120 s the window keeps eventTime >= 60 s: of 30..90 (exclusive), 60..89 are held.
        (long total, List<SimulatedEvent> page) = store.Query(Between(30, 90), T0.AddSeconds(120));

        Assert.Equal(30, total);
        Assert.Equal(T0.AddSeconds(60), page[0].EventTime);
        Assert.Equal(60, store.Count);
        Assert.Equal(60, store.Dropped);
    }

    [Fact]
    public void Trim_DropsByAgeWithoutAQuery_AndTheirIdsCanBeAddedAgain()
    {
        var store = new EventStore(retention: TimeSpan.FromSeconds(10), maxEvents: null);
        store.Add(At(0, "old"));
        store.Add(At(15, "new"));

        store.Trim(T0.AddSeconds(20));
        store.Add(At(16, "old")); // the API forgot it, so its id is free again

        Assert.Equal(["new", "old"], store.Snapshot().Select(e => e.EventId).Order());
        Assert.Equal(1, store.Dropped);
    }

    [Fact]
    public void Add_BeyondMaxEvents_DropsTheOldestByEventTime()
    {
        var store = new EventStore(retention: null, maxEvents: 5);
        int[] seconds = [5, 1, 9, 3, 7, 2, 8, 4];
        foreach (int s in seconds)
        {
            store.Add(At(s, "e" + s));
            store.Trim(T0.AddSeconds(100)); // visible at once
            Assert.True(store.Count <= 5, $"{store.Count} held after adding e{s}");
        }

        (long total, List<SimulatedEvent> page) = store.Query(All, T0.AddSeconds(100));

        Assert.Equal(5, total);
        Assert.Equal(["e4", "e5", "e7", "e8", "e9"], page.Select(e => e.EventId));
    }

    [Fact]
    public void Add_CapSmallerThanWhatIsStillBeingIndexed_DropsPendingFirstVisibleFirst()
    {
        var store = new EventStore(retention: null, maxEvents: 2);
        for (int s = 0; s < 4; s++)
        {
            store.Add(At(s, "e" + s)); // none visible yet: queries have not published them
        }

        Assert.Equal(2, store.Count);
        Assert.Equal(["e2", "e3"], store.Snapshot().Select(e => e.EventId).Order());
    }

    [Fact]
    public void DroppingFromTheFront_ManyTimes_KeepsOrderAndCounts()
    {
        // Past the compaction threshold (1,024 dropped) several times over, with late events inserted behind the newest.
        var store = new EventStore(retention: TimeSpan.FromSeconds(100), maxEvents: null);
        for (int s = 0; s < 5_000; s++)
        {
            store.Add(At(s, "e" + s));
            if (s % 7 == 0 && s >= 3)
            {
                store.Add(At(s - 3, "late" + s));
            }

            store.Trim(T0.AddSeconds(s));
        }

        (long total, List<SimulatedEvent> page) = store.Query(All with { Size = 100, Descending = true }, T0.AddSeconds(4_999));
        long held = store.Count;

        Assert.Equal(held, total);
        Assert.InRange(held, 100, 120); // 100 s of one a second, plus the late ones among them
        Assert.Equal(page.OrderByDescending(e => e.EventTime).Select(e => e.EventId), page.Select(e => e.EventId));
        Assert.All(store.Snapshot(), e => Assert.True(e.EventTime >= T0.AddSeconds(4_899)));
    }
}
