using System.Text;
using EventStream.Cli.Plans;

namespace EventStream.Tests.Cli;

/// <summary><c>plan check</c>'s reader on its own: every kind of finding, at its path, counted, with its first example.</summary>
public class PlanCheckTests
{
    private const string Plan = """
        { "events": [
          { "action": "order_completed", "category": "commerce", "properties": {
              "type": "object",
              "required": ["orderId", "size", "box"],
              "properties": {
                "orderId": { "type": "string", "format": "uuid" },
                "size": { "type": "string", "enum": ["S", "M", "L"] },
                "placed": { "type": "string", "format": "date-time" },
                "day": { "type": "string", "format": "date" },
                "mail": { "type": "string", "format": "email" },
                "site": { "type": "string", "format": "uri" },
                "items": { "type": "integer" },
                "revenue": { "type": "number" },
                "gift": { "type": "boolean" },
                "coupon": { "type": ["string", "null"] },
                "tags": { "type": "array", "items": { "type": "string", "enum": ["new", "sale"] } },
                "box": { "type": "object", "required": ["sealed"], "properties": { "sealed": { "type": "boolean" }, "weight": { "type": "number" } } },
                "anything": {}
              } } },
          { "action": "identify", "category": "identify", "properties": {
              "type": "object", "required": ["email"], "properties": { "email": { "type": "string", "format": "email" } } } }
        ] }
        """;

    private const string Good = """
        "orderId": "0f8fad5b-d9cb-469f-a165-70867728950e", "size": "M", "placed": "2026-12-01T10:00:00Z", "day": "2026-12-01",
        "mail": "a@b.co", "site": "https://example.com/x", "items": 3, "revenue": 12.5, "gift": false, "coupon": null,
        "tags": ["new", "sale"], "box": { "sealed": true, "weight": 2 }, "anything": [1, {"a": null}]
        """;

    private static string Order(string id, string properties)
        => "{\"eventId\":\"" + id + "\",\"eventAction\":\"order_completed\",\"rawData\":{\"event\":\"x\",\"properties\":{" + properties + "}}}";

    private static PlanCheck Run(params string[] events)
    {
        PlanCheck check = PlanCheck.FromPlan(Plan);
        foreach (string e in events)
        {
            check.Add(Encoding.UTF8.GetBytes(e));
        }

        return check;
    }

    [Fact]
    public void AnEventThatKeepsThePlan_NoFinding()
    {
        PlanCheck check = Run(
            Order("e1", Good),
            Order("e2", Good.Replace("\"M\"", "\"\\u004C\"", StringComparison.Ordinal)), // "L", escaped
            """{"eventId":"e3","eventAction":"identify","rawData":{"traits":{"email":"x@y.org"}}}""");

        Assert.Equal(3, check.Events);
        Assert.Equal(0, check.Skipped);
        Assert.Empty(check.Findings);
        Assert.Equal(0, check.Violations);
    }

    [Fact]
    public void EveryKindOfFinding_AtItsPath_CountedOnce_WithTheFirstExample()
    {
        PlanCheck check = Run(
            Order("e1", Good.Replace("\"M\"", "\"XL\"", StringComparison.Ordinal)),                                          // enum
            Order("e2", Good.Replace("\"M\"", "\"XL\"", StringComparison.Ordinal)),                                          // enum again: counted, example kept
            Order("e3", Good.Replace("0f8fad5b-d9cb-469f-a165-70867728950e", "not-a-uuid", StringComparison.Ordinal)),        // uuid
            Order("e4", Good.Replace("2026-12-01T10:00:00Z", "yesterday", StringComparison.Ordinal)),                         // date-time
            Order("e5", Good.Replace("\"2026-12-01\"", "\"2026-13-01\"", StringComparison.Ordinal)),                          // date
            Order("e6", Good.Replace("a@b.co", "nobody", StringComparison.Ordinal)),                                          // email
            Order("e7", Good.Replace("https://example.com/x", "example.com", StringComparison.Ordinal)),                      // uri
            Order("e8", Good.Replace("\"items\": 3", "\"items\": 3.5", StringComparison.Ordinal)),                             // integer with a fraction
            Order("e9", Good.Replace("\"revenue\": 12.5", "\"revenue\": \"12.5\"", StringComparison.Ordinal)),                 // string for a number
            Order("e10", Good.Replace("\"size\": \"M\"", "\"size\": null", StringComparison.Ordinal)),                          // null in a required property
            Order("e10b", Good.Replace("\"gift\": false", "\"gift\": null", StringComparison.Ordinal)),                       // null in an optional one: allowed
            Order("e11", Good.Replace("[\"new\", \"sale\"]", "[\"new\", \"old\", 4]", StringComparison.Ordinal)),              // array items
            Order("e12", Good.Replace("\"sealed\": true, ", string.Empty, StringComparison.Ordinal)),                          // nested required
            Order("e13", Good.Replace("\"size\": \"M\", ", string.Empty, StringComparison.Ordinal) + ", \"extra\": 1"),         // required, unplanned property
            Order("e14", Good.Replace("\"weight\": 2", "\"weight\": 2, \"colour\": \"red\"", StringComparison.Ordinal)),       // nested unplanned
            """{"eventId":"e15","eventAction":"refund_issued","rawData":{"properties":{}}}""",                                // unplanned action
            """{"eventId":"e16","eventAction":"identify","rawData":{"traits":{"email":7}}}""",                                 // traits
            """{"eventId":"e17","eventAction":"order_completed","rawData":{"event":"x"}}""",                                  // no properties at all
            """{"eventId":"e18","rawData":{}}""",                                                                              // no action: skipped
            """not json""");                                                                                                  // skipped

        var findings = check.Findings.Select(f => $"{f.Action} {f.Path} {f.Kind} {f.Count} {f.Example}").ToList();
        string[] expected =
            [
                "identify traits.email WrongType 1 e16",
                "order_completed properties.box.colour unplanned property 1 e14",
                "order_completed properties.box.sealed MissingRequired 1 e12",
                "order_completed properties.box MissingRequired 1 e17",
                "order_completed properties.day InvalidFormat 1 e5",
                "order_completed properties.extra unplanned property 1 e13",
                "order_completed properties.items OutOfRange 1 e8",
                "order_completed properties.mail InvalidFormat 1 e6",
                "order_completed properties.orderId InvalidFormat 1 e3",
                "order_completed properties.orderId MissingRequired 1 e17",
                "order_completed properties.placed InvalidFormat 1 e4",
                "order_completed properties.revenue WrongType 1 e9",
                "order_completed properties.site InvalidFormat 1 e7",
                "order_completed properties.size MissingRequired 2 e13",
                "order_completed properties.size UnknownEnumValue 2 e1",
                "order_completed properties.tags[] UnknownEnumValue 1 e11",
                "order_completed properties.tags[] WrongType 1 e11",
                "order_completed properties.size WrongType 1 e10",
                "refund_issued  unplanned action 1 e15",
            ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), findings.Order(StringComparer.Ordinal));
        Assert.Equal(18, check.Events);
        Assert.Equal(2, check.Skipped);
        Assert.Equal(findings.Count - 3, check.Findings.Count(f => f.Kind is not ("unplanned action" or "unplanned property")));
        Assert.Equal(check.Findings.Where(f => f.Kind is not ("unplanned action" or "unplanned property")).Sum(f => f.Count), check.Violations);
    }

    [Fact]
    public void TheExpectedValue_IsSaidForEachFinding()
    {
        PlanCheck check = Run(
            Order("e1", Good.Replace("\"M\"", "\"XL\"", StringComparison.Ordinal).Replace("\"revenue\": 12.5", "\"revenue\": true", StringComparison.Ordinal)));

        Dictionary<string, string?> expected = check.Findings.ToDictionary(f => f.Path, f => f.Expected);
        Assert.Equal("one of L, M, S", expected["properties.size"]);
        Assert.Equal("number", expected["properties.revenue"]);
    }
}
