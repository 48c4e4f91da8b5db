using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using EventStream.Parsing;
using EventStream.Typed;

namespace EventStream.TypedEvents.Tests;

/// <summary>The generated code compiled in a user's project, run on Intilery's sample page.</summary>
public class TypedDecodeTests
{
    private static readonly byte[] SamplePage = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "sample-page.json"));

    private static readonly EventCatalog Catalog = EventCatalog.Combine(ShopEvents.Catalog, IntileryEvents.Catalog);

    [Fact]
    public void Parse_SamplePageWithUserPlanFirst_UserPlanWinsAndStandardEventsFillTheRest()
    {
        EventPage page = EventPage.Parse(SamplePage, Catalog);

        Assert.Equal(12, page.Events.Count);
        Assert.IsType<ShopEvents.OrderCompleted>(page.Events.Single(e => e.EventAction == "order_completed"));
        Assert.All(page.Events.Where(e => e.EventAction == "email_opened"), e => Assert.IsType<ShopEvents.EmailOpened>(e));
        Assert.IsType<ShopEvents.Identify>(page.Events.Single(e => e.EventAction == "identify"));
        Assert.All(page.Events.Where(e => e.EventAction == "page"), e => Assert.IsType<ShopEvents.PageViewed>(e));
        Assert.IsType<IntileryEvents.SmsSent>(page.Events.Single(e => e.EventAction == "sms_sent"));
        Assert.IsType<IntileryEvents.EmailLinkClicked>(page.Events.Single(e => e.EventAction == "email_link_clicked"));
        Assert.All(page.Events, e => Assert.Empty(((PlannedEvent)e).Violations));
    }

    [Fact]
    public void Decode_OrderCompleted_ReadsDecimalsEnumsAndNestedArrays()
    {
        var order = (ShopEvents.OrderCompleted)EventPage.Parse(SamplePage, Catalog).Events.Single(e => e.EventAction == "order_completed");

        Assert.Equal("NW-ORD-58213", order.OrderId);
        Assert.Equal("chk-9d41f07a", order.CheckoutId);
        Assert.Equal(45.5m, order.Revenue);
        Assert.Equal(45.5m, order.Subtotal);
        Assert.Equal(58.55, order.Total);
        Assert.Equal(4.0, order.Discount);
        Assert.Equal("SPRING4", order.Coupon);
        Assert.Equal(ShopEvents.OrderCompleted.CurrencyKind.Gbp, order.Currency);
        Assert.Equal(2, order.Products.Count);
        Assert.Equal("prd-30417", order.Products[0].ProductId);
        Assert.Equal("NW-CER-0417", order.Products[0].Sku);
        Assert.Equal(24.5m, order.Products[0].Price);
        Assert.Equal(1L, order.Products[0].Quantity);
        Assert.Equal(2L, order.Products[1].Quantity);
        Assert.Equal(2L, order.Products[1].Position);
        Assert.Equal("order_completed", ShopEvents.OrderCompleted.PlannedAction);

        // The envelope is the untyped event's.
        Assert.Equal("northwind", order.ClientId);
        Assert.Equal(DateTimeOffset.Parse("2024-05-14T09:18:44.731Z", System.Globalization.CultureInfo.InvariantCulture), order.EventTime);
    }

    [Fact]
    public void Decode_EmailOpened_ReadsUuidAndShoutedEnum()
    {
        var opened = EventPage.Parse(SamplePage, Catalog).Events.OfType<ShopEvents.EmailOpened>().ToList();

        Assert.Equal(Guid.Parse("30bb0794-6ac6-4f3f-8bb8-03a49c20486a"), opened[0].EmailId);
        Assert.Equal(ShopEvents.EmailOpened.CampaignIdKind.OrderConfirmation, opened[0].CampaignId);
        Assert.Equal(ShopEvents.EmailOpened.CampaignIdKind.SpringSale24, opened[1].CampaignId);
        Assert.Equal("Spring kitchen edit: up to 30% off", opened[1].EmailSubject);
        Assert.Null(opened[1].OpenedAt);
    }

    [Fact]
    public void Decode_Identify_ReadsTraitsNestedObjectsAndArraysOfObjects()
    {
        var identify = EventPage.Parse(SamplePage, Catalog).Events.OfType<ShopEvents.Identify>().Single();

        Assert.Equal("Olivia", identify.FirstName);
        Assert.Equal("olivia.hart@example.com", identify.EmailTrait);
        Assert.Equal("Bath", identify.Address!.City);
        Assert.Equal("BA1 5QT", identify.Address.PostalCode);
        var channels = identify.MarketingPreferences!.Channels!;
        Assert.Equal(5, channels.Count);
        Assert.Equal(ShopEvents.Identify.MarketingPreferencesInfo.ChannelInfo.ChannelKind.Email, channels[0].Channel);
        Assert.True(channels[0].Subscribed);
        Assert.Equal(ShopEvents.Identify.MarketingPreferencesInfo.ChannelInfo.ChannelKind.Push, channels[4].Channel);
        Assert.False(channels[4].Subscribed);
    }

    [Fact]
    public void Decode_StandardCatalogAlone_TypesEveryEventOfTheSamplePage()
    {
        EventPage page = EventPage.Parse(SamplePage, IntileryEvents.Catalog);

        Assert.All(page.Events, e => Assert.Empty(Assert.IsAssignableFrom<PlannedEvent>(e).Violations));
        var order = page.Events.OfType<IntileryEvents.OrderCompleted>().Single();
        Assert.Equal(45.5, order.Revenue);
        Assert.Equal("Stoneware Serving Bowl", order.Products![0].Name);
        var identify = page.Events.OfType<IntileryEvents.Identify>().Single();
        Assert.Equal("Hart", identify.LastName);
        Assert.Equal("olivia.hart@example.com", identify.EmailTrait);
        Assert.Equal("sms", identify.MarketingPreferences!.Channels![1].Channel);
        var page0 = page.Events.OfType<IntileryEvents.Page>().First();
        Assert.Equal("https://www.google.com/", page0.Referrer);
    }

    [Fact]
    public void Decode_UnplannedAction_IsDeliveredUntyped()
    {
        byte[] json = WithAction(FirstOf("order_completed"), "loyalty_points_earned");

        IntileryEvent e = IntileryEvent.Parse(json, Catalog);

        Assert.Equal(typeof(IntileryEvent), e.GetType());
        Assert.Equal("loyalty_points_earned", e.EventAction);
    }

    [Fact]
    public void Decode_ViolatingValues_ReportedToHandlerAndEventKeepsWhatCouldBeRead()
    {
        JsonObject order = JsonNode.Parse(FirstOf("order_completed"))!.AsObject();
        JsonObject properties = order["rawData"]!["properties"]!.AsObject();
        properties.Remove("order_id");                  // required, missing
        properties["revenue"] = "45.50";                // a string where a number is planned
        properties["currency"] = "JPY";                 // not in the enum
        properties["products"]![0]!["quantity"] = 1.5;  // a fraction where an integer is planned
        properties["products"]![1]!["product_id"] = null; // required, null
        var seen = new List<PlanViolation>();
        EventCatalog catalog = ShopEvents.Catalog.WithViolationHandler(seen.Add);

        var typed = Assert.IsType<ShopEvents.OrderCompleted>(IntileryEvent.Parse(Encoding.UTF8.GetBytes(order.ToJsonString()), catalog));

        Assert.Equal(
            [
                ("properties.revenue", PlanViolationKind.WrongType),
                ("properties.currency", PlanViolationKind.UnknownEnumValue),
                ("properties.products[].quantity", PlanViolationKind.OutOfRange),
                ("properties.products[].product_id", PlanViolationKind.WrongType),
                ("properties.order_id", PlanViolationKind.MissingRequired),
            ],
            seen.Select(v => (v.Path, v.Kind)));
        Assert.Equal(seen, typed.Violations);
        Assert.All(seen, v => Assert.Equal(typed.EventId, v.EventId));
        Assert.Equal("\"45.50\" (a string)", seen[0].Actual);
        Assert.Equal("one of GBP, EUR, USD", seen[1].Expected);
        Assert.Contains("properties.order_id is missing", seen[4].Message, StringComparison.Ordinal);

        // Everything else was still read.
        Assert.Null(typed.Revenue);
        Assert.Equal(45.5m, typed.Subtotal);
        Assert.Equal("SPRING4", typed.Coupon);
        Assert.Null(typed.Products[0].Quantity);
        Assert.Equal("NW-CER-0417", typed.Products[0].Sku);
        Assert.Equal(2L, typed.Products[1].Quantity);
    }

    [Fact]
    public void Decode_BadFormats_AreViolationsNotExceptions()
    {
        JsonObject opened = JsonNode.Parse(FirstOf("email_opened"))!.AsObject();
        JsonObject properties = opened["rawData"]!["properties"]!.AsObject();
        properties["email_id"] = "not-a-uuid";
        properties["opened_at"] = "yesterday";
        properties["email_subject"] = new JsonObject { ["nested"] = true };

        var typed = Assert.IsType<ShopEvents.EmailOpened>(IntileryEvent.Parse(Encoding.UTF8.GetBytes(opened.ToJsonString()), ShopEvents.Catalog));

        Assert.Equal(
            [
                ("properties.email_id", PlanViolationKind.InvalidFormat),
                ("properties.email_subject", PlanViolationKind.WrongType),
                ("properties.opened_at", PlanViolationKind.InvalidFormat),
            ],
            typed.Violations.Select(v => (v.Path, v.Kind)));
        Assert.Null(typed.EmailId);
        Assert.Equal(ShopEvents.EmailOpened.CampaignIdKind.OrderConfirmation, typed.CampaignId);
    }

    [Theory]
    [InlineData("\"oops\"", true)]
    [InlineData("[1, 2]", true)]
    [InlineData("null", false)]
    public void Decode_PropertiesNotAnObject_RequiredReportedAndEventStillDelivered(string properties, bool wrongType)
    {
        JsonObject order = JsonNode.Parse(FirstOf("order_completed"))!.AsObject();
        order["rawData"]!["properties"] = JsonNode.Parse(properties);

        var typed = Assert.IsType<ShopEvents.OrderCompleted>(IntileryEvent.Parse(Encoding.UTF8.GetBytes(order.ToJsonString()), ShopEvents.Catalog));

        var expected = new List<(string, PlanViolationKind)>();
        if (wrongType)
        {
            expected.Add(("properties", PlanViolationKind.WrongType));
        }

        expected.AddRange([("properties.order_id", PlanViolationKind.MissingRequired), ("properties.currency", PlanViolationKind.MissingRequired), ("properties.products", PlanViolationKind.MissingRequired)]);
        Assert.Equal(expected, typed.Violations.Select(v => (v.Path, v.Kind)));
        Assert.Equal(order["eventId"]!.GetValue<string>(), typed.EventId);
    }

    [Fact]
    public void Decode_EscapedStrings_AreUnescapedWhenRead()
    {
        string json = FirstOf("order_completed")
            .Replace("\"NW-ORD-58213\"", "\"NW-\\u004FRD \\\"58213\\\"\"", StringComparison.Ordinal)
            .Replace("\"SPRING4\"", "\"SPRING\\u00e9\"", StringComparison.Ordinal);
        Assert.Contains("\\u004FRD", json, StringComparison.Ordinal);

        var typed = Assert.IsType<ShopEvents.OrderCompleted>(IntileryEvent.Parse(Encoding.UTF8.GetBytes(json), ShopEvents.Catalog));

        Assert.Equal("NW-ORD \"58213\"", typed.OrderId);
        Assert.Equal("SPRING\u00e9", typed.Coupon);
        Assert.Same(typed.OrderId, typed.OrderId); // decoded once, then kept
        Assert.Equal("chk-9d41f07a", typed.CheckoutId);
    }

    [Fact]
    public void Decode_HandlerThatThrows_PropagatesSoTestsCanFailFast()
    {
        JsonObject order = JsonNode.Parse(FirstOf("order_completed"))!.AsObject();
        order["rawData"]!["properties"]!["currency"] = "JPY";
        EventCatalog strict = ShopEvents.Catalog.WithViolationHandler(v => throw new InvalidOperationException(v.Message));

        var ex = Assert.Throws<InvalidOperationException>(() => IntileryEvent.Parse(Encoding.UTF8.GetBytes(order.ToJsonString()), strict));

        Assert.Contains("properties.currency", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_ArraysOfNullablesEnumsAndArrays_AndRawValues()
    {
        JsonObject page = JsonNode.Parse(FirstOf("page"))!.AsObject();
        JsonObject properties = page["rawData"]!["properties"]!.AsObject();
        properties["keywords"] = new JsonArray("bowls", 7, "towels");
        properties["ratings"] = new JsonArray(5, null, 3);
        properties["sections"] = new JsonArray("kitchen", "garden", "home");
        properties["matrix"] = new JsonArray(new JsonArray(1.5, 2), new JsonArray());

        var typed = Assert.IsType<ShopEvents.PageViewed>(IntileryEvent.Parse(Encoding.UTF8.GetBytes(page.ToJsonString()), ShopEvents.Catalog));

        Assert.Equal(["bowls", "towels"], typed.Keywords!);
        Assert.Equal([5L, null, 3L], typed.Ratings!);
        Assert.Equal([ShopEvents.PageViewed.SectionKind.Kitchen, ShopEvents.PageViewed.SectionKind.Home], typed.Sections!);
        Assert.Equal(2, typed.Matrix!.Count);
        Assert.Equal([1.5, 2.0], typed.Matrix[0]);
        Assert.Empty(typed.Matrix[1]);
        Assert.Equal(
            [("properties.keywords[]", PlanViolationKind.WrongType), ("properties.sections[]", PlanViolationKind.UnknownEnumValue)],
            typed.Violations.Select(v => (v.Path, v.Kind)));

        JsonObject viewed = JsonNode.Parse(FirstOf("product_viewed"))!.AsObject();
        JsonObject vp = viewed["rawData"]!["properties"]!.AsObject();
        vp["quantity"] = 2;
        vp["extras"] = new JsonObject { ["gift"] = true };
        vp["variant"] = 42;
        vp["rating"] = null;
        vp["in_stock"] = true;
        var product = Assert.IsType<ShopEvents.ProductViewed>(IntileryEvent.Parse(Encoding.UTF8.GetBytes(viewed.ToJsonString()), ShopEvents.Catalog));
        Assert.Equal(ShopEvents.ProductViewed.QuantityKind.Value2, product.Quantity);
        Assert.Equal(2L, (long)product.Quantity!.Value);
        Assert.True(product.Extras!.Value.GetProperty("gift").GetBoolean());
        Assert.Equal(42, product.Variant!.Value.GetInt32());
        Assert.Null(product.Rating);
        Assert.True(product.InStock);
        Assert.Equal(24.5, product.Value);
        Assert.Empty(product.Violations);
    }

    [Fact]
    public void GeneratedEnums_SerializeWithTheirWireValues()
    {
        var options = new JsonSerializerOptions { Converters = { new JsonStringEnumConverter() } };

        Assert.Equal("\"GBP\"", JsonSerializer.Serialize(ShopEvents.OrderCompleted.CurrencyKind.Gbp, options));
        Assert.Equal("\"SPRING_SALE_24\"", JsonSerializer.Serialize(ShopEvents.EmailOpened.CampaignIdKind.SpringSale24, options));
        Assert.Equal("\"pre-roll\"", JsonSerializer.Serialize(ShopEvents.EmailOpened.CampaignIdKind.PreRoll, options));
    }

    [Fact]
    public async Task NdjsonEvents_WhatTailWrites_DecodesTypedFromBytesAndStream()
    {
        EventPage page = EventPage.Parse(SamplePage);
        var ndjson = new MemoryStream();
        foreach (IntileryEvent e in page.Events)
        {
            ndjson.Write(e.Json.Span);
            ndjson.WriteByte((byte)'\n');
        }

        byte[] bytes = ndjson.ToArray();
        IReadOnlyList<IntileryEvent> fromBytes = NdjsonEvents.Read(bytes, Catalog);
        var fromStream = new List<IntileryEvent>();
        await foreach (IntileryEvent e in NdjsonEvents.ReadAsync(new MemoryStream(bytes), Catalog))
        {
            fromStream.Add(e);
        }

        Assert.Equal(page.Events.Select(e => e.EventId), fromBytes.Select(e => e.EventId));
        Assert.Equal(page.Events.Select(e => e.EventId), fromStream.Select(e => e.EventId));
        Assert.Equal(45.5m, fromStream.OfType<ShopEvents.OrderCompleted>().Single().Revenue);
        Assert.All(fromBytes, e => Assert.IsAssignableFrom<PlannedEvent>(e));
    }

    private static string FirstOf(string action)
        => Encoding.UTF8.GetString(EventPage.Parse(SamplePage).Events.First(e => e.EventAction == action).Json.Span);

    private static byte[] WithAction(string json, string action)
    {
        JsonObject o = JsonNode.Parse(json)!.AsObject();
        o["eventAction"] = action;
        return Encoding.UTF8.GetBytes(o.ToJsonString());
    }
}
