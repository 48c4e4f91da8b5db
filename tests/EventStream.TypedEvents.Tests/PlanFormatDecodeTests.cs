using EventStream.Parsing;
using EventStream.Typed;

namespace EventStream.TypedEvents.Tests;

/// <summary>Classes generated from a Segment plan and from Iglu schemas, compiled in a user's project, on the sample page.</summary>
public class PlanFormatDecodeTests
{
    private static readonly byte[] SamplePage = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "sample-page.json"));

    [Fact]
    public void Segment_SamplePage_DecodesOrderProductAndIdentify()
    {
        EventPage page = EventPage.Parse(SamplePage, SegmentEvents.Catalog);

        var order = Assert.IsType<SegmentEvents.OrderCompleted>(page.Events.Single(e => e.EventAction == "order_completed"));
        Assert.Equal("NW-ORD-58213", order.OrderId);
        Assert.Equal(2, order.Products!.Count);
        Assert.Equal("prd-30417", order.Products[0].ProductId);
        Assert.Equal(2.0, order.Products[1].Quantity);
        Assert.Empty(order.Violations);
        var viewed = Assert.IsType<SegmentEvents.ProductViewed>(page.Events.Single(e => e.EventAction == "product_viewed"));
        Assert.Equal("NW-CER-0417", viewed.Sku);
        var identify = Assert.IsType<SegmentEvents.Identify>(page.Events.Single(e => e.EventAction == "identify"));
        Assert.Equal("Olivia", identify.FirstName);
        Assert.Equal("Bath", identify.Address!.City);
        Assert.Equal("olivia.hart@example.com", identify.EmailTrait);
    }

    [Fact]
    public void Iglu_SamplePage_DecodesWithTheLatestVersion()
    {
        EventPage page = EventPage.Parse(SamplePage, IgluEvents.Catalog);

        var order = Assert.IsType<IgluEvents.OrderCompleted>(page.Events.Single(e => e.EventAction == "order_completed"));
        Assert.Equal("NW-ORD-58213", order.OrderId);
        Assert.Equal(2, order.Products!.Count); // products came in 1-0-1
        Assert.Empty(order.Violations);
        Assert.Equal("Olivia", Assert.IsType<IgluEvents.Identify>(page.Events.Single(e => e.EventAction == "identify")).FirstName);
    }

    [Fact]
    public void SegmentApi_SamplePage_DecodesOrderProductAndIdentify()
    {
        EventPage page = EventPage.Parse(SamplePage, SegmentApiEvents.Catalog);

        var order = Assert.IsType<SegmentApiEvents.OrderCompleted>(page.Events.Single(e => e.EventAction == "order_completed"));
        Assert.Equal("NW-ORD-58213", order.OrderId);
        Assert.Equal("prd-30417", order.Products![0].ProductId);
        Assert.Empty(order.Violations);
        Assert.Equal("NW-CER-0417", Assert.IsType<SegmentApiEvents.ProductViewed>(page.Events.Single(e => e.EventAction == "product_viewed")).Sku);
        Assert.Equal("Olivia", Assert.IsType<SegmentApiEvents.Identify>(page.Events.Single(e => e.EventAction == "identify")).FirstName);
    }

    [Fact]
    public void Avo_SamplePage_DecodesOrderProductAndIdentify()
    {
        EventPage page = EventPage.Parse(SamplePage, AvoEvents.Catalog);

        var order = Assert.IsType<AvoEvents.OrderCompleted>(page.Events.Single(e => e.EventAction == "order_completed"));
        Assert.Equal("NW-ORD-58213", order.OrderId);
        Assert.Equal(2.0, order.Products![1].Quantity);
        Assert.Empty(order.Violations);
        Assert.Equal("NW-CER-0417", Assert.IsType<AvoEvents.ProductViewed>(page.Events.Single(e => e.EventAction == "product_viewed")).Sku);
        Assert.Equal("Olivia", Assert.IsType<AvoEvents.Identify>(page.Events.Single(e => e.EventAction == "identify")).FirstName);
    }

    [Fact]
    public void JsonSchema_SamplePage_DecodesOrderProductAndIdentify()
    {
        EventPage page = EventPage.Parse(SamplePage, JsonSchemaEvents.Catalog);

        var order = Assert.IsType<JsonSchemaEvents.OrderCompleted>(page.Events.Single(e => e.EventAction == "order_completed"));
        Assert.Equal("NW-ORD-58213", order.OrderId);
        Assert.Equal(2, order.Products!.Count);
        Assert.Empty(order.Violations);
        Assert.Equal("NW-CER-0417", Assert.IsType<JsonSchemaEvents.ProductViewed>(page.Events.Single(e => e.EventAction == "product_viewed")).Sku);
        var identify = Assert.IsType<JsonSchemaEvents.Identify>(page.Events.Single(e => e.EventAction == "identify"));
        Assert.Equal("Olivia", identify.FirstName);
        Assert.Equal("Bath", identify.Address!.City);
    }
}
