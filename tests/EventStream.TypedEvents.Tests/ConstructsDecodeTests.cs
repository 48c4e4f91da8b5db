using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStream.Parsing;
using EventStream.Typed;

namespace EventStream.TypedEvents.Tests;

/// <summary>
/// Classes generated from constructs-plan.json (formats, limits, additionalProperties, a union, a $ref to another file)
/// decoding real events: the sample page's order, its payload replaced. A value outside the plan's limits is decoded
/// and reported, never dropped and never thrown.
/// </summary>
public class ConstructsDecodeTests
{
    private static readonly byte[] SamplePage = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "sample-page.json"));

    private const string ValidCheckout = """
        {
          "order_id": "NW-ORD-58213",
          "placed_on": "2024-05-14",
          "receipt_url": "https://shop.example.com/receipts/58213",
          "contact_email": "olivia.hart@example.com",
          "step": 3,
          "total": 58.55,
          "payment": { "last4": "4242", "brand": "visa", "method": "card" },
          "shipping_address": { "city": "Bath", "country": "GB" },
          "attributes": { "gift_wrap": "yes", "note": "leave with neighbour" },
          "label": 1,
          "size": "M",
          "utm_source": "newsletter",
          "ab_test": { "bucket": 7 }
        }
        """;

    private static byte[] Event(string action, string properties)
    {
        string order = Encoding.UTF8.GetString(EventPage.Parse(SamplePage).Events.First(e => e.EventAction == "order_completed").Json.Span);
        JsonObject o = JsonNode.Parse(order)!.AsObject();
        o["eventAction"] = action;
        o["rawData"]!["properties"] = JsonNode.Parse(properties);
        return Encoding.UTF8.GetBytes(o.ToJsonString());
    }

    private static T Decode<T>(string action, string properties, List<PlanViolation>? seen = null)
        where T : PlannedEvent
        => Assert.IsType<T>(IntileryEvent.Parse(Event(action, properties), ConstructsEvents.Catalog.WithViolationHandler(seen is null ? null : seen.Add)));

    private static string Edit(string json, Action<JsonObject> edit)
    {
        JsonObject o = JsonNode.Parse(json)!.AsObject();
        edit(o);
        return o.ToJsonString();
    }

    [Fact]
    public void Decode_EventWithinThePlan_EveryConstructTypedAndNoViolation()
    {
        var e = Decode<ConstructsEvents.CheckoutStepCompleted>("checkout_step_completed", ValidCheckout);

        Assert.Empty(e.Violations);
        Assert.Equal("NW-ORD-58213", e.OrderId);
        Assert.Equal(new DateOnly(2024, 5, 14), e.PlacedOn);
        Assert.Equal(new Uri("https://shop.example.com/receipts/58213"), e.ReceiptUrl);
        Assert.Equal("olivia.hart@example.com", e.ContactEmail);
        Assert.Equal(3L, e.Step);
        Assert.Equal(58.55, e.Total);
        Assert.Equal(ConstructsEvents.CheckoutStepCompleted.SizeKind.M, e.Size);
        Assert.Equal(1, e.Label!.Value.GetInt32());

        // The union: the discriminator came last, the case is chosen by it all the same.
        var card = Assert.IsType<ConstructsEvents.CheckoutStepCompleted.PaymentInfo.Card>(e.Payment);
        Assert.Equal("card", card.Method);
        Assert.Equal("4242", card.Last4);
        Assert.Equal(ConstructsEvents.CheckoutStepCompleted.PaymentInfo.Card.BrandKind.Visa, card.Brand);

        // From defs/common.json, through its own local $ref.
        Assert.Equal("Bath", e.ShippingAddress!.City);
        Assert.Equal("GB", e.ShippingAddress.Country);

        Assert.Equal(new Dictionary<string, string> { ["gift_wrap"] = "yes", ["note"] = "leave with neighbour" }, e.Attributes);
        Assert.Equal(["ab_test", "utm_source"], e.AdditionalProperties.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("newsletter", e.AdditionalProperties["utm_source"].GetString());
        Assert.Equal(7, e.AdditionalProperties["ab_test"].GetProperty("bucket").GetInt32());
    }

    [Fact]
    public void Decode_OtherUnionCases_EachItsClass()
    {
        string paypal = Edit(ValidCheckout, o => o["payment"] = JsonNode.Parse("""{ "method": "paypal", "payer_email": "o.hart@example.com" }"""));
        string voucher = Edit(ValidCheckout, o => o["payment"] = JsonNode.Parse("""{ "code": "SPRING4", "method": "voucher" }"""));

        var p = Assert.IsType<ConstructsEvents.CheckoutStepCompleted.PaymentInfo.Paypal>(Decode<ConstructsEvents.CheckoutStepCompleted>("checkout_step_completed", paypal).Payment);
        var v = Assert.IsType<ConstructsEvents.CheckoutStepCompleted.PaymentInfo.Voucher>(Decode<ConstructsEvents.CheckoutStepCompleted>("checkout_step_completed", voucher).Payment);

        Assert.Equal("o.hart@example.com", p.PayerEmail);
        Assert.Equal("SPRING4", v.Code);
        Assert.Equal("voucher", v.Method);
    }

    [Fact]
    public void Decode_ValuesOutsideTheLimits_DecodedAndReportedAsViolations()
    {
        string broken = Edit(ValidCheckout, o =>
        {
            o["order_id"] = "ORD-1";                        // pattern and minLength: length first
            o["placed_on"] = "14/05/2024";                   // not a full-date
            o["receipt_url"] = "/receipts/58213";            // relative: not a uri
            o["contact_email"] = "olivia at example.com";    // not an email
            o["step"] = 9;                                   // maximum 5
            o["total"] = 0;                                  // exclusiveMinimum 0
            o["shipping_address"]!["country"] = "GBR";       // maxLength 2, in defs/common.json
            o["label"] = "sale";                             // not in the mixed enum
            o["payment"]!["last4"] = "42x2";                 // pattern in defs/common.json
        });
        var seen = new List<PlanViolation>();

        var e = Decode<ConstructsEvents.CheckoutStepCompleted>("checkout_step_completed", broken, seen);

        Assert.Equal(
            [
                ("properties.step", PlanViolationKind.OutOfRange, ">= 1 and <= 5"),
                ("properties.total", PlanViolationKind.OutOfRange, "> 0"),
                ("properties.label", PlanViolationKind.UnknownEnumValue, "one of \"gift\", 1, true, null"),
                ("properties.payment.last4", PlanViolationKind.PatternMismatch, "matching ^[0-9]{4}$"),
                ("properties.order_id", PlanViolationKind.InvalidLength, "length 8 to 32"),
                ("properties.placed_on", PlanViolationKind.InvalidFormat, "date"),
                ("properties.receipt_url", PlanViolationKind.InvalidFormat, "uri"),
                ("properties.contact_email", PlanViolationKind.InvalidFormat, "email"),
                ("properties.shipping_address.country", PlanViolationKind.InvalidLength, "length 2 to 2"),
            ],
            e.Violations.OrderBy(v => Array.IndexOf(PropertyOrder, v.Path)).Select(v => (v.Path, v.Kind, v.Expected)));
        Assert.Equal(seen, e.Violations);

        // Lose nothing: values of the right type are kept though outside the limits.
        Assert.Equal("ORD-1", e.OrderId);
        Assert.Equal(9L, e.Step);
        Assert.Equal(0.0, e.Total);
        Assert.Equal("olivia at example.com", e.ContactEmail);
        Assert.Equal("GBR", e.ShippingAddress!.Country);
        Assert.Equal("sale", e.Label!.Value.GetString());
        Assert.Equal("42x2", Assert.IsType<ConstructsEvents.CheckoutStepCompleted.PaymentInfo.Card>(e.Payment).Last4);
        Assert.Equal("9 (a number)", e.Violations.Single(v => v.Path == "properties.step").Actual);

        // Formats that make another type cannot hold the text: null, reported, the text still in the event's JSON.
        Assert.Null(e.PlacedOn);
        Assert.Null(e.ReceiptUrl);
        Assert.Contains("14/05/2024", Encoding.UTF8.GetString(e.Json.Span), StringComparison.Ordinal);
    }

    private static readonly string[] PropertyOrder =
    [
        "properties.step", "properties.total", "properties.label", "properties.payment.last4", "properties.order_id",
        "properties.placed_on", "properties.receipt_url", "properties.contact_email", "properties.shipping_address.country",
    ];

    [Theory]
    [InlineData("""{ "method": "bitcoin", "wallet": "x" }""", "properties.payment.method", PlanViolationKind.UnknownEnumValue)]
    [InlineData("""{ "last4": "4242" }""", "properties.payment.method", PlanViolationKind.MissingRequired)]
    [InlineData("""{ "method": 7 }""", "properties.payment.method", PlanViolationKind.WrongType)]
    public void Decode_UnionWithoutAKnownCase_ReportedAndTheRestRead(string payment, string path, PlanViolationKind kind)
    {
        string json = Edit(ValidCheckout, o => o["payment"] = JsonNode.Parse(payment));

        var e = Decode<ConstructsEvents.CheckoutStepCompleted>("checkout_step_completed", json);

        Assert.Equal((path, kind), Assert.Single(e.Violations).Let(v => (v.Path, v.Kind)));
        Assert.Null(e.Payment);
        Assert.Equal(ConstructsEvents.CheckoutStepCompleted.SizeKind.M, e.Size); // read after the payment
    }

    [Fact]
    public void Decode_ClosedObject_UnplannedMemberReported_NestedMapCollected()
    {
        const string coupon = """{ "coupon": "SPRING4", "discount": 120, "channel": "app", "metadata": { "source": "email", "clicks": 3, "opens": -1 } }""";

        var e = Decode<ConstructsEvents.CouponApplied>("coupon_applied", coupon);

        Assert.Equal(
            [
                ("properties.discount", PlanViolationKind.OutOfRange),
                ("properties.channel", PlanViolationKind.UnplannedProperty),
                ("properties.metadata.opens", PlanViolationKind.OutOfRange),
            ],
            e.Violations.Select(v => (v.Path, v.Kind)));
        Assert.Equal(120m, e.Discount);
        Assert.Equal("email", e.Metadata!.Source);
        Assert.Equal(new Dictionary<string, long> { ["clicks"] = 3, ["opens"] = -1 }, e.Metadata.AdditionalProperties);
        Assert.Equal("\"app\" (a string)", e.Violations[1].Actual);
    }

    [Fact]
    public void Decode_NoExtraMembers_EmptyDictionaryNotNull()
    {
        string json = Edit(ValidCheckout, o =>
        {
            o.Remove("utm_source");
            o.Remove("ab_test");
        });

        var e = Decode<ConstructsEvents.CheckoutStepCompleted>("checkout_step_completed", json);

        Assert.Empty(e.AdditionalProperties);
        Assert.Empty(e.Violations);
    }
}

internal static class LetExtensions
{
    public static TResult Let<T, TResult>(this T value, Func<T, TResult> map) => map(value);
}
