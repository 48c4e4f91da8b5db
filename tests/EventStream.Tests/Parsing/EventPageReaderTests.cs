using System.Text;
using System.Text.Json;
using EventStream.Parsing;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Parsing;

public class EventPageReaderTests
{
    [Fact]
    public void Parse_SamplePage_ReadsEveryEnvelopeField()
    {
        EventPage page = EventPage.Parse(TestData.SamplePage);

        Assert.Equal(12, page.Events.Count);
        Assert.Null(page.Total);
        IntileryEvent e = page.Events[0];
        Assert.Equal("3e1a9b42-f5fb-49f0-ad1b-05d97491bc66", e.Id);
        Assert.Equal("NW-204817", e.ExternalId);
        Assert.Equal("olivia.hart@example.com", e.Email);
        Assert.Equal("d419c45a-2c0d-4d1e-9602-22fbf88701ff", e.EventId);
        Assert.Equal(new DateTimeOffset(2024, 5, 14, 9, 31, 9, 664, TimeSpan.Zero), e.EventTime);
        Assert.Equal(new DateTimeOffset(2024, 5, 14, 9, 31, 10, 121, TimeSpan.Zero), e.ReceivedTime);
        Assert.Equal("email_opened", e.EventAction);
        Assert.Equal("northwind", e.ClientId);
        Assert.Equal("northwind", e.AccountId);
        Assert.Equal("NORTHWIND", e.BrandId);
        Assert.Equal("3e1a9b42-f5fb-49f0-ad1b-05d97491bc66", e.CustomerId);
        Assert.Equal("3e1a9b42-f5fb-49f0-ad1b-05d97491bc66", e.UserId);
        Assert.Equal("SEGMENT_API", e.Source);
        Assert.Equal("Email Opened", e.EventName);
        Assert.Equal("30bb0794-6ac6-4f3f-8bb8-03a49c20486a", e.Properties!.Value.GetProperty("email_id").GetString());
        Assert.Equal("203.0.113.42", e.Context!.Value.GetProperty("ip").GetString());
        Assert.Null(e.Traits);
        Assert.False(e.IsLate);
    }

    [Fact]
    public void Parse_SamplePage_KeepsEachEventsJsonExactlyAsReceived()
    {
        byte[] body = TestData.SamplePage;
        using JsonDocument document = JsonDocument.Parse(body);
        EventPage page = EventPage.Parse(body);

        JsonElement[] expected = [.. document.RootElement.GetProperty("data").EnumerateArray()];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].GetRawText(), Encoding.UTF8.GetString(page.Events[i].Json.Span));
        }
    }

    [Fact]
    public void Parse_SamplePage_IdentifyEventExposesTraits()
    {
        IntileryEvent identify = EventPage.Parse(TestData.SamplePage).Events.Single(e => e.EventAction == "identify");

        Assert.NotNull(identify.Traits);
        Assert.Null(identify.Properties);
        Assert.Equal(JsonValueKind.Object, identify.Traits!.Value.ValueKind);
    }

    [Fact]
    public void Parse_RepeatedValues_AreSharedStringInstances()
    {
        EventPage page = EventPage.Parse(TestData.SamplePage);

        IntileryEvent a = page.Events[0], b = page.Events[11];
        Assert.Same(a.ClientId, b.ClientId);
        Assert.Same(a.AccountId, b.AccountId);
        Assert.Same(a.BrandId, b.BrandId);
        Assert.Same(a.Source, b.Source);
        Assert.Same(a.EventAction, b.EventAction); // both email_opened
    }

    [Fact]
    public void Parse_DataAmongUnknownMembers_ReadsDataAndTotalWhereverTheySit()
    {
        string body = """
            {"scrollId":"abc","meta":{"nested":[1,2,{"data":[]}]},"data":[
              {"unknown":{"x":[1,{"y":null}]},"eventTime":"2024-01-01T00:00:00.001Z","eventAction":"page","eventId":"e1","extra":true},
              {"eventAction":"identify","rawData":{"traits":{"a":1}},"eventId":"e2","eventTime":"2024-01-01T00:00:00.002Z"}
            ],"total":42,"trailing":"x"}
            """;

        EventPage page = EventPage.Parse(Encoding.UTF8.GetBytes(body));

        Assert.Equal(["e1", "e2"], page.Events.Select(e => e.EventId));
        Assert.Equal(42, page.Total);
        Assert.Null(page.Events[0].ReceivedTime);
        Assert.Null(page.Events[0].Email);
        Assert.Equal(JsonValueKind.Undefined, page.Events[0].RawData.ValueKind);
        Assert.Equal(1, page.Events[1].Traits!.Value.GetProperty("a").GetInt32());
    }

    [Fact]
    public void Reader_TotalBeforeData_IsKnownWhileReading()
    {
        var reader = new EventPageReader("""{"total":7,"data":[{"eventId":"a","eventAction":"x","eventTime":"2024-01-01T00:00:00Z"}]}"""u8);

        Assert.True(reader.MoveNext());
        Assert.Equal(7, reader.Total);
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void Parse_EscapedValues_AreUnescaped()
    {
        byte[] body = """{"data":[{"event\u0049d":"id\"1","eventAction":"a\u00e9","eventTime":"2024-01-01T00:00:00Z","email":"x\/y"}]}"""u8.ToArray();

        var reader = new EventPageReader(body);
        Assert.True(reader.MoveNext());
        Assert.Equal("id\"1", Encoding.UTF8.GetString(reader.Header.EventId));
        Assert.Equal("a\u00e9", Encoding.UTF8.GetString(reader.Header.EventAction));
        IntileryEvent e = reader.Materialize();
        Assert.Equal("id\"1", e.EventId);
        Assert.Equal("x/y", e.Email);
    }

    [Fact]
    public void Parse_EmptyData_ReturnsNoEvents()
    {
        Assert.Empty(EventPage.Parse("""{"data":[]}"""u8).Events);
    }

    [Theory]
    [InlineData("""{"data":[{"eventAction":"a","eventTime":"2024-01-01T00:00:00Z"}]}""", "eventId")]
    [InlineData("""{"data":[{"eventId":"a","eventTime":"2024-01-01T00:00:00Z"}]}""", "eventAction")]
    [InlineData("""{"data":[{"eventId":"a","eventAction":"b"}]}""", "eventTime")]
    [InlineData("""{"data":[{"eventId":"a","eventAction":"b","eventTime":"yesterday"}]}""", "eventTime")]
    [InlineData("""{"data":[1]}""", "not an object")]
    [InlineData("""{"data":{}}""", "not an array")]
    [InlineData("""{"items":[]}""", "no data")]
    [InlineData("""[]""", "not a JSON object")]
    [InlineData("""{"data":[],"data":[]}""", "twice")]
    [InlineData("""{"data":[]} {}""", "not valid JSON")]
    [InlineData("", "not valid JSON")]
    public void Parse_InvalidPage_ThrowsFormatExceptionSayingWhy(string body, string reason)
    {
        var ex = Assert.Throws<EventPageFormatException>(() => EventPage.Parse(Encoding.UTF8.GetBytes(body)));
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PageTruncatedAtEveryOffset_ThrowsFormatExceptionEachTime()
    {
        byte[] body = TestData.SamplePage;
        int end = body.AsSpan().TrimEnd("\r\n\t "u8).Length; // the page without trailing whitespace is the shortest valid prefix

        for (int length = 0; length < end; length++)
        {
            byte[] prefix = body[..length];
            var ex = Record.Exception(() => EventPage.Parse(prefix));
            Assert.True(ex is EventPageFormatException, $"prefix of {length} bytes: {ex?.GetType().Name ?? "no exception"}");
        }

        Assert.Equal(12, EventPage.Parse(body.AsSpan(0, end)).Events.Count);
    }

    [Fact]
    public void Header_ReadsEveryEventWithoutAllocating()
    {
        byte[] body = TestData.SamplePage;
        long count = CountHeaders(body); // warm up (JIT, statics)

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            count += CountHeaders(body);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(12 * 101, count);
    }

    private static long CountHeaders(byte[] body)
    {
        var reader = new EventPageReader(body);
        long n = 0;
        while (reader.MoveNext())
        {
            EventHeader header = reader.Header;
            if (header.EventId.Length > 0 && header.EventTime.Year == 2024 && header.EventAction.Length > 0 && header.ReceivedTime.HasValue)
            {
                n++;
            }
        }

        return n;
    }

    [Fact]
    public void Materialize_BeforeMoveNext_Throws()
    {
        var reader = new EventPageReader("""{"data":[]}"""u8);
        try
        {
            reader.Materialize();
            Assert.Fail("expected InvalidOperationException");
        }
        catch (InvalidOperationException)
        {
        }
    }

    [Fact]
    public void ParseEvent_SingleObject_RoundTripsWithPage()
    {
        IntileryEvent fromPage = EventPage.Parse(TestData.SamplePage).Events[3];

        IntileryEvent parsed = IntileryEvent.Parse(fromPage.Json.Span);

        Assert.Equal(fromPage.EventId, parsed.EventId);
        Assert.Equal(fromPage.EventTime, parsed.EventTime);
        Assert.True(fromPage.Json.Span.SequenceEqual(parsed.Json.Span));
        Assert.Throws<EventPageFormatException>(() => IntileryEvent.Parse(fromPage.Json.Span[..^1]));
    }
}
