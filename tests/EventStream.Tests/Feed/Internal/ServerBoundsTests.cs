using EventStream.Api;
using EventStream.Feed;
using EventStream.Feed.Internal;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Feed.Internal;

/// <summary>What the API's queries reach: rounding to milliseconds, what a total counts, inclusive bounds learnt.</summary>
public class ServerBoundsTests
{
    private static readonly DateTimeOffset T0 = TestEvents.T0;
    private readonly ServerBounds _bounds = new(new FeedOptions { Include = ["page"] });

    [Fact]
    public void Query_ASubMillisecondEnd_RoundsUpSoItsMillisecondIsRead()
    {
        EventsQuery query = _bounds.Query(T0, T0.AddTicks(5_000), from: 0, size: 10, EventSort.Ascending);

        Assert.Equal(T0.AddMilliseconds(1), query.End);
        Assert.Equal("page", Assert.Single(query.Include));
    }

    [Fact]
    public void Query_AnEndAtOrBeforeTheStart_ReadsTheStartsMillisecond()
    {
        EventsQuery query = _bounds.Query(T0, T0, from: 0, size: 10, EventSort.Ascending);

        Assert.Equal(T0.AddMilliseconds(1), query.End);
    }

    [Fact]
    public void CountedRange_IsExclusiveUntilTheServerIsSeenToIncludeABound()
    {
        EventsQuery query = _bounds.Query(T0, T0.AddSeconds(1), from: 0, size: 10, EventSort.Ascending);
        Assert.Equal((T0.AddMilliseconds(1), T0.AddSeconds(1)), _bounds.CountedRange(query));

        _bounds.Observe(new PageScan { SawEventAtQueryStart = true, SawEventAtQueryEnd = true });

        Assert.Equal((T0, T0.AddSeconds(1).AddMilliseconds(1)), _bounds.CountedRange(query));
    }
}
