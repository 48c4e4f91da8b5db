using System.Text;
using EventStream.Parsing;
using EventStream.Tests.Infrastructure;
using EventStream.Typed;

namespace EventStream.Tests.Typed;

public class NdjsonEventsTests
{
    private static readonly IReadOnlyList<IntileryEvent> Sample = EventPage.Parse(TestData.SamplePage).Events;

    [Fact]
    public async Task ReadAsync_StreamGivingOneByteAtATime_ReadsEveryEventOnce()
    {
        byte[] ndjson = Ndjson(Sample, "\r\n");

        var events = new List<IntileryEvent>();
        await foreach (IntileryEvent e in NdjsonEvents.ReadAsync(new TrickleStream(ndjson), IntileryEvents.Catalog))
        {
            events.Add(e);
        }

        Assert.Equal(Sample.Select(e => e.EventId), events.Select(e => e.EventId));
        Assert.All(events, e => Assert.IsAssignableFrom<PlannedEvent>(e));
    }

    [Fact]
    public void Read_BlankLinesAndPrettyPrintedEvents_AreAccepted()
    {
        string text = "\n\n" + Encoding.UTF8.GetString(Sample[0].Json.Span) + "\n   \n" + Encoding.UTF8.GetString(Sample[1].Json.Span) + "\n";

        IReadOnlyList<IntileryEvent> events = NdjsonEvents.Read(Encoding.UTF8.GetBytes(text));

        Assert.Equal([Sample[0].EventId, Sample[1].EventId], events.Select(e => e.EventId));
        Assert.Equal(typeof(IntileryEvent), events[0].GetType());
    }

    [Fact]
    public async Task Read_MalformedEvent_NamesTheLineItStartsOn()
    {
        string good = Encoding.UTF8.GetString(Sample[0].Json.Span).ReplaceLineEndings(" ");
        byte[] bytes = Encoding.UTF8.GetBytes(good + "\n" + good + "\n{\"eventId\": \"x\", \"eventAction\": }\n" + good + "\n");

        var fromBytes = Assert.Throws<EventPageFormatException>(() => NdjsonEvents.Read(bytes));
        var fromStream = await Assert.ThrowsAsync<EventPageFormatException>(async () =>
        {
            await foreach (IntileryEvent _ in NdjsonEvents.ReadAsync(new MemoryStream(bytes)))
            {
            }
        });

        Assert.StartsWith("line 3:", fromBytes.Message, StringComparison.Ordinal);
        Assert.StartsWith("line 3:", fromStream.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_TruncatedLastEvent_Throws()
    {
        byte[] bytes = Ndjson(Sample.Take(2), "\n");

        var ex = Assert.Throws<EventPageFormatException>(() => NdjsonEvents.Read(bytes.AsSpan(0, bytes.Length - 5)));

        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    private static byte[] Ndjson(IEnumerable<IntileryEvent> events, string newline)
    {
        var builder = new StringBuilder();
        foreach (IntileryEvent e in events)
        {
            builder.Append(Encoding.UTF8.GetString(e.Json.Span).ReplaceLineEndings(" ")).Append(newline);
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private sealed class TrickleStream(byte[] data) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
