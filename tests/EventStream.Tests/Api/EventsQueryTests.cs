using EventStream.Api;

namespace EventStream.Tests.Api;

public class EventsQueryTests
{
    public static TheoryData<EventsQuery, string> InvalidQueries => new()
    {
        { new EventsQuery { Size = 0 }, "Size" },
        { new EventsQuery { Size = 101 }, "Size" },
        { new EventsQuery { From = -1 }, "From" },
        { new EventsQuery { From = 9_901, Size = 100 }, "From" },
        { new EventsQuery { Start = new DateTimeOffset(2024, 1, 2, 0, 0, 0, TimeSpan.Zero), End = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero) }, "Start" },
        { new EventsQuery { Start = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), End = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero) }, "Start" },
        { new EventsQuery { Include = [""] }, "Include" },
        { new EventsQuery { Include = ["a,b"] }, "Include" },
        { new EventsQuery { Exclude = [" "] }, "Exclude" },
        { new EventsQuery { Exclude = ["x", "y,z"] }, "Exclude" },
        { new EventsQuery { Sort = (EventSort)7 }, "Sort" },
    };

    [Theory]
    [MemberData(nameof(InvalidQueries))]
    public void Validate_InvalidParameter_ThrowsNamingIt(EventsQuery query, string parameter)
    {
        var ex = Assert.Throws<ArgumentException>(query.Validate);
        Assert.Equal(parameter, ex.ParamName);
    }

    [Fact]
    public void Validate_WindowEdge_IsAccepted()
    {
        new EventsQuery { From = 9_900, Size = 100 }.Validate();
        new EventsQuery { From = 0, Size = 1 }.Validate();
    }

    [Fact]
    public void ToQueryString_AllParameters_EncodedWithMillisecondUtcTimes()
    {
        var query = new EventsQuery
        {
            Include = ["email_opened", "order completed"],
            Exclude = ["page", "a&b=c"],
            Start = new DateTimeOffset(2024, 5, 14, 10, 31, 9, 664, TimeSpan.FromHours(1)).AddTicks(5),
            End = new DateTimeOffset(2024, 5, 14, 9, 40, 0, TimeSpan.Zero),
            Sort = EventSort.Ascending,
            From = 200,
            Size = 50,
        };

        Assert.Equal(
            "include=email_opened%2Corder%20completed&exclude=page%2Ca%26b%3Dc&start=2024-05-14T09%3A31%3A09.664Z&end=2024-05-14T09%3A40%3A00.000Z&sort=asc&from=200&size=50",
            query.ToQueryString());
    }

    [Fact]
    public void ToQueryString_Defaults_LeaveSortToTheApi()
    {
        Assert.Equal("from=0&size=100", new EventsQuery().ToQueryString());
        Assert.Contains("sort=desc", new EventsQuery { Sort = EventSort.Descending }.ToQueryString(), StringComparison.Ordinal);
    }
}
