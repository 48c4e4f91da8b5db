using System.Text.Json;
using System.Text.Json.Nodes;

namespace EventStream.Tests.Generator;

/// <summary>
/// Writes Intilery's standard plan (data/tracking-plan.json, 84 events) in every other plan format, so the fixtures under
/// Generator/StandardPlans/ are reproducible: <c>EVENTSTREAM_UPDATE_SNAPSHOTS=1</c> rewrites them, and
/// <see cref="GeneratorStandardPlanTests"/> checks the committed files are what this writes.
/// </summary>
/// <remarks>
/// Each event keeps its name (its action is the name in snake_case in every format), its description, and its category
/// as <c>x-intilery-category</c>; identify's schema becomes the traits. The property schemas are copied unchanged.
/// </remarks>
internal static class StandardPlanConverter
{
    private const string Draft04Iglu = "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Every fixture: its path under StandardPlans/ and its text.</summary>
    public static SortedDictionary<string, string> Convert(string intileryPlan)
    {
        var events = JsonNode.Parse(intileryPlan)!["events"]!.AsArray().Select(e => e!.AsObject()).ToList();
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["segment.json"] = Write(new JsonObject { ["events"] = new JsonArray([.. events.Select(Segment)]) }),
            ["segment-api.json"] = Write(new JsonObject { ["display_name"] = "Intilery standard events", ["rules"] = new JsonArray([.. events.Select(SegmentRule)]) }),
            ["avo.json"] = Write(new JsonObject { ["events"] = new JsonArray([.. events.Select(Avo)]) }),
        };
        foreach (JsonObject e in events)
        {
            string action = e["action"]!.GetValue<string>();
            files[$"jsonschema/{action}.json"] = Write(JsonSchema(e));
            files[$"iglu/com.intilery/{action}/jsonschema/1-0-0"] = Write(Iglu(e));
        }

        return files;
    }

    private static bool IsIdentify(JsonObject e) => e["category"]?.GetValue<string>() == "identify";

    private static JsonNode Schema(JsonObject e) => e["properties"]!.DeepClone();

    // Segment's rules wrap the payload: properties.properties, or properties.traits for identify.
    private static JsonObject Wrapped(JsonObject e, string draft)
        => new()
        {
            ["$schema"] = draft,
            ["type"] = "object",
            ["properties"] = new JsonObject { [IsIdentify(e) ? "traits" : "properties"] = Schema(e) },
        };

    private static JsonObject Segment(JsonObject e)
        => new()
        {
            ["name"] = e["name"]!.DeepClone(),
            ["description"] = e["description"]?.DeepClone(),
            ["x-intilery-category"] = e["category"]!.DeepClone(),
            ["rules"] = Wrapped(e, "http://json-schema.org/draft-07/schema#"),
        };

    private static JsonObject SegmentRule(JsonObject e)
    {
        JsonObject schema = Wrapped(e, "http://json-schema.org/draft-07/schema#");
        schema.Insert(1, "description", e["description"]?.DeepClone());
        schema.Insert(2, "x-intilery-category", e["category"]!.DeepClone());
        return new JsonObject
        {
            ["key"] = e["name"]!.DeepClone(),
            ["type"] = IsIdentify(e) ? "IDENTIFY" : "TRACK",
            ["version"] = 1,
            ["json_schema"] = schema,
        };
    }

    // Avo's rules are the payload's schema itself (draft-06).
    private static JsonObject Avo(JsonObject e)
    {
        var rules = Schema(e).AsObject();
        rules.Insert(0, "$schema", "http://json-schema.org/draft-06/schema#");
        return new JsonObject
        {
            ["name"] = e["name"]!.DeepClone(),
            ["description"] = e["description"]?.DeepClone(),
            ["x-intilery-category"] = e["category"]!.DeepClone(),
            ["rules"] = rules,
        };
    }

    private static JsonObject JsonSchema(JsonObject e)
        => Root(e, new JsonObject { ["$schema"] = "https://json-schema.org/draft/2020-12/schema" });

    private static JsonObject Iglu(JsonObject e)
        => Root(e, new JsonObject
        {
            ["$schema"] = Draft04Iglu,
            ["self"] = new JsonObject { ["vendor"] = "com.intilery", ["name"] = e["action"]!.DeepClone(), ["format"] = "jsonschema", ["version"] = "1-0-0" },
        });

    // One event per file: the title names it, the schema's members follow.
    private static JsonObject Root(JsonObject e, JsonObject root)
    {
        root["title"] = e["name"]!.DeepClone();
        root["description"] = e["description"]?.DeepClone();
        root["x-intilery-category"] = e["category"]!.DeepClone();
        foreach ((string name, JsonNode? value) in Schema(e).AsObject())
        {
            root[name] = value?.DeepClone();
        }

        return root;
    }

    private static string Write(JsonObject o) => o.ToJsonString(Indented).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
}
