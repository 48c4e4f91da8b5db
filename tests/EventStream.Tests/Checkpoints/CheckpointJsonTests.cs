using System.Text;
using EventStream.Checkpoints;

namespace EventStream.Tests.Checkpoints;

/// <summary>How a checkpoint is written: the seen ids compactly, read back exactly; the earlier form still read.</summary>
public class CheckpointJsonTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static FeedCheckpoint Live(int perSecond, int seconds)
    {
        // What a live feed keeps: MaxLateness of ids, one event every 1000/perSecond ms (some at the same millisecond).
        SeenEvent[] seen = [.. Enumerable.Range(0, perSecond * seconds).Select(i => new SeenEvent(Guid.NewGuid().ToString(), Start.AddMilliseconds(i * 1000L / perSecond)))];
        return new FeedCheckpoint(Start.AddSeconds(seconds), Start, Start.AddSeconds(seconds), seen, "include=;exclude=", seen[^1].EventId);
    }

    [Fact]
    public void ALiveFeedsThirtySecondsAt350PerSecond_FitsWellWithinNatsMaxPayload_AndReadsBackExactly()
    {
        // Written as objects, these 10,500 ids took ~1.0 MB: past NATS's 1 MB max_payload, every JetStream save failed.
        FeedCheckpoint checkpoint = Live(350, 30);

        byte[] json = checkpoint.ToUtf8Json();
        FeedCheckpoint back = FeedCheckpoint.FromUtf8Json(json);

        Assert.InRange(json.Length, 1, 10_500 * 45);
        Assert.Equal(checkpoint.Seen, back.Seen);
        Assert.Equal((checkpoint.Cursor, checkpoint.SweepPosition, checkpoint.HighWater, checkpoint.Query, checkpoint.LastEventId), (back.Cursor, back.SweepPosition, back.HighWater, back.Query, back.LastEventId));
    }

    [Fact]
    public void ACheckpointInTheEarlierForm_IsReadAsBefore()
    {
        byte[] json = Encoding.UTF8.GetBytes("""
            {"cursor":"2026-12-03T12:00:01+00:00","sweepPosition":"2026-12-03T12:00:00+00:00","highWater":null,
             "seen":[{"eventId":"a","eventTime":"2026-12-03T12:00:00.5+00:00"},{"eventId":"b","eventTime":"2026-12-03T12:00:00.25+00:00"}],
             "query":"include=;exclude=","lastEventId":"a"}
            """);

        FeedCheckpoint checkpoint = FeedCheckpoint.FromUtf8Json(json);

        Assert.Equal([new SeenEvent("a", Start.AddMilliseconds(500)), new SeenEvent("b", Start.AddMilliseconds(250))], checkpoint.Seen);
    }

    [Fact]
    public void TimesFinerThanAMillisecond_OrOutOfOrder_AreWrittenInTheEarlierForm_AndReadBackExactly()
    {
        SeenEvent[] seen = [new("a", Start.AddTicks(1)), new("b", Start.AddMilliseconds(-3)), new("c", Start.ToOffset(TimeSpan.FromHours(2)))];
        var checkpoint = new FeedCheckpoint(null, Start, null, seen, "q");

        byte[] json = checkpoint.ToUtf8Json();

        Assert.Contains("\"seen\":[{", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
        Assert.Equal(seen, FeedCheckpoint.FromUtf8Json(json).Seen);
    }

    [Fact]
    public void NoSeenIds_RoundTrips()
    {
        var checkpoint = new FeedCheckpoint(null, Start, null, [], "q");

        Assert.Empty(FeedCheckpoint.FromUtf8Json(checkpoint.ToUtf8Json()).Seen);
    }

    [Theory]
    [InlineData("""{"from":"2026-12-03T12:00:00Z","ids":["a","b"],"ms":[0]}""")]
    [InlineData("""{"from":"2026-12-03T12:00:00Z","ids":["a"],"ms":[-1]}""")]
    [InlineData("""{"ids":["a"],"ms":[0]}""")]
    [InlineData("""{"from":"2026-12-03T12:00:00Z","ids":[1],"ms":[0]}""")]
    [InlineData("""{"from":"2026-12-03T12:00:00Z","ids":["a"],"ms":[1e400]}""")]
    [InlineData("""{"from":"9999-12-31T23:59:59Z","ids":["a"],"ms":[9000000000000]}""")]
    [InlineData("""{"from":"2026-12-03T12:00:00Z","ids":["a"],"ms":[0],"other":1}""")]
    [InlineData("""{"from":"2026-12-03T12:00:00Z","ids":[null],"ms":[0]}""")]
    [InlineData("\"a\"")]
    public void AMalformedSeenList_IsInvalidData_SayingSo(string seen)
    {
        byte[] json = Encoding.UTF8.GetBytes($$"""{"sweepPosition":"2026-12-03T12:00:00+00:00","seen":{{seen}},"query":"q"}""");

        InvalidDataException ex = Assert.Throws<InvalidDataException>(() => FeedCheckpoint.FromUtf8Json(json));
        Assert.StartsWith("not a valid checkpoint", ex.Message, StringComparison.Ordinal);
    }
}
