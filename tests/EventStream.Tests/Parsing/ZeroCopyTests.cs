using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EventStream.Api;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using EventStream.Typed;

namespace EventStream.Tests.Parsing;

/// <summary>Events are views into their page's bytes; <see cref="IntileryEvent.Detach"/> gives one its own.</summary>
public class ZeroCopyTests
{
    private static byte[] ArrayOf(ReadOnlyMemory<byte> memory)
        => MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment) ? segment.Array! : throw new InvalidOperationException("not an array");

    [Fact]
    public void ParseMemory_EventsAreViewsIntoThePage_NothingCopied()
    {
        byte[] body = TestData.SamplePage;

        EventPage page = EventPage.Parse(body.AsMemory(), IntileryEvents.Catalog);

        Assert.Equal(12, page.Events.Count);
        Assert.All(page.Events, e => Assert.Same(body, ArrayOf(e.Json)));
    }

    [Fact]
    public void ParseSpan_CopiesOutOfTheCallersBuffer_IntoOneArrayForThePage()
    {
        byte[] body = TestData.SamplePage;
        EventPage page = EventPage.Parse(body.AsSpan(), IntileryEvents.Catalog);
        string[] before = [.. page.Events.Select(e => System.Text.Encoding.UTF8.GetString(e.Json.Span))];

        Array.Clear(body);

        Assert.Equal(before, page.Events.Select(e => System.Text.Encoding.UTF8.GetString(e.Json.Span)));
        Assert.Single(page.Events.Select(e => ArrayOf(e.Json)).Distinct()); // one copy for the page, not one per event
    }

    [Fact]
    public void ParseSpan_ALargePage_SharesChunksThatStayOffTheLargeObjectHeap()
    {
        var events = new SyntheticEvents(seed: 3);
        var t0 = new DateTimeOffset(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);
        byte[] body = SyntheticEvents.Page([.. Enumerable.Range(0, 100).Select(i => events.Create(t0.AddMilliseconds(i)))]);
        Assert.True(body.Length > 85_000, $"the page is {body.Length} bytes: too small to show anything");

        EventPage page = EventPage.Parse(body.AsSpan());

        byte[][] arrays = [.. page.Events.Select(e => ArrayOf(e.Json)).Distinct()];
        Assert.InRange(arrays.Length, 2, 3);
        Assert.All(arrays, a => Assert.True(a.Length < 85_000 && GC.GetGeneration(a) < 2, $"a chunk of {a.Length} bytes"));
        Assert.Equal(page.Events.Sum(e => e.Json.Length), arrays.Sum(a => a.Length), tolerance: 2_000); // little slack at chunk ends
        Assert.All(page.Events, e => Assert.Equal(e.EventId, IntileryEvent.Parse(e.Json.Span).EventId));
    }

    [Fact]
    public void Detach_TypedEventWithNestedObjects_KeepsEveryValue_AfterThePageIsOverwritten()
    {
        var violations = 0;
        EventCatalog catalog = IntileryEvents.Catalog.WithViolationHandler(_ => violations++);
        byte[] body = TestData.SamplePage;
        EventPage page = EventPage.Parse(body.AsMemory(), catalog);
        var order = (IntileryEvents.OrderCompleted)page.Events.Single(e => e.EventAction == "order_completed");
        order.IsLate = true;
        int violationsBefore = violations;
        string json = System.Text.Encoding.UTF8.GetString(order.Json.Span);
        string email = order.Email!;

        var detached = Assert.IsType<IntileryEvents.OrderCompleted>(order.Detach());
        Array.Fill(body, (byte)' '); // the page's buffer reused: the detached event must not notice

        Assert.Equal(json, System.Text.Encoding.UTF8.GetString(detached.Json.Span));
        Assert.Equal(detached.Json.Length, ArrayOf(detached.Json).Length); // exactly its own bytes
        Assert.Equal("chk-9d41f07a", detached.CheckoutId);
        Assert.Equal("NW-ORD-58213", detached.OrderId);
        Assert.Equal("Stoneware Serving Bowl", detached.Products![0].Name); // a nested object's lazy string
        Assert.Equal(24.5, detached.Products[0].Price);
        Assert.Equal(order.EventId, detached.EventId);
        Assert.Equal(email, detached.Email);
        Assert.True(detached.IsLate);
        Assert.Equal(violationsBefore, violations); // the handler saw this event once, when it was read
        Assert.Same(detached, detached.Detach());
    }

    [Fact]
    public void Detach_KeepsTheViolationsFound_WithoutCallingTheHandlerAgain()
    {
        var calls = 0;
        EventCatalog catalog = IntileryEvents.Catalog.WithViolationHandler(_ => calls++);
        byte[] body = System.Text.Encoding.UTF8.GetBytes("""
            {"data":[{"eventId":"e-1","eventAction":"product_viewed","eventTime":"2024-05-14T09:00:00Z",
              "rawData":{"type":"track","event":"Product Viewed","properties":{"product_id":"p-1","price":"cheap"}}}]}
            """);
        var viewed = (EventStream.Typed.PlannedEvent)EventPage.Parse(body.AsMemory(), catalog).Events[0];

        var detached = (EventStream.Typed.PlannedEvent)viewed.Detach();

        Assert.Equal(1, calls);
        Assert.Equal(viewed.Violations.Select(v => v.ToString()), detached.Violations.Select(v => v.ToString()));
        Assert.Contains(detached.Violations, v => v.Path.Contains("price", StringComparison.Ordinal));
    }

    [Fact]
    public void RetainingOneEvent_RetainsItsPage_UntilDetached()
    {
        (WeakReference page, IntileryEvent kept) = ReadAndKeepOne(detach: false);
        Collect();
        Assert.True(page.IsAlive); // a view keeps its page
        GC.KeepAlive(kept);

        (page, kept) = ReadAndKeepOne(detach: true);
        Collect();
        Assert.False(page.IsAlive); // a detached event does not
        Assert.Equal("email_opened", kept.EventAction);
        Assert.StartsWith("{", System.Text.Encoding.UTF8.GetString(kept.Json.Span), StringComparison.Ordinal);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (WeakReference Page, IntileryEvent Kept) ReadAndKeepOne(bool detach)
    {
        byte[] body = TestData.SamplePage;
        IntileryEvent first = EventPage.Parse(body.AsMemory()).Events[0];
        return (new WeakReference(body), detach ? first.Detach() : first);
    }

    private static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Fact]
    public async Task OverHttp_APagesEventsShareOneArray_HoldingJustThem()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        var t0 = new DateTimeOffset(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);
        for (int i = 0; i < 50; i++)
        {
            simulator.Add(simulator.Events.Create(t0.AddMilliseconds(i), t0.AddSeconds(1), t0));
        }

        using EventsApiClient client = Loopback.ClientFor(simulator);
        EventPage page = await client.GetPageAsync(new EventsQuery { Sort = EventSort.Ascending, Size = 50 });

        Assert.Equal(50, page.Events.Count);
        byte[] array = Assert.Single(page.Events.Select(e => ArrayOf(e.Json)).Distinct());
        Assert.Equal(page.Events.Sum(e => e.Json.Length), array.Length, tolerance: 2_000); // the events, not the pooled body
        Assert.All(page.Events, e => Assert.Equal(e.EventId, IntileryEvent.Parse(e.Json.Span).EventId));
    }
}
