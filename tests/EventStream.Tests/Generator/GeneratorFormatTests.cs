using EventStream.Generators;
using EventStream.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using static EventStream.Tests.Generator.GeneratorHarness;

namespace EventStream.Tests.Generator;

/// <summary>
/// The plan formats users keep (Generator/Plans/): four of Intilery's standard events (Application Opened, Identify,
/// Order Completed, Product Viewed) stated in each format must give the same typed classes as our own format.
/// </summary>
public class GeneratorFormatTests
{
    private static readonly string PlansDirectory = Path.Combine(TestData.RepoRoot(), "tests", "EventStream.Tests", "Generator", "Plans");

    public static TheoryData<string, string> Formats => new()
    {
        { "segment.json", "SegmentPlan.g.cs.txt" },
        { "segment-api.json", "SegmentApiPlan.g.cs.txt" },
        { "avo.json", "AvoPlan.g.cs.txt" },
        { "jsonschema", "JsonSchemaPlan.g.cs.txt" },
        { "iglu", "IgluPlan.g.cs.txt" },
    };

    /// <summary>The fixture files under Plans/ as the project's AdditionalFiles, at /project/plans/….</summary>
    private static (string Path, string Text)[] PlanFiles()
        => [.. Directory.GetFiles(PlansDirectory, "*", SearchOption.AllDirectories)
            .Select(f => ("/project/plans/" + Path.GetRelativePath(PlansDirectory, f).Replace('\\', '/'), File.ReadAllText(f)))];

    private static string Source(string planPath, string format = "")
        => $$"""
            using EventStream.Typed;

            namespace Shop;

            [TrackingPlan("plans/{{planPath}}"{{(format.Length == 0 ? string.Empty : ", Format = PlanFormat." + format)}})]
            public static partial class ShopEvents;
            """;

    private static string Generate(string planPath, out string planName)
    {
        (GeneratorDriverRunResult result, Compilation output) = Run(Source(planPath), PlanFiles());

        // The identify trait "email" clashes with the base event's Email in every format, reported in that format's file.
        Diagnostic clash = Assert.Single(result.Diagnostics);
        Assert.Equal("ESG008", clash.Id);
        Assert.StartsWith("/project/plans/" + planPath.Split('/')[0], clash.Location.GetLineSpan().Path, StringComparison.Ordinal);
        GeneratorSnapshotTests.AssertCompiles(output);
        planName = planPath.Contains('/', StringComparison.Ordinal) || !planPath.EndsWith(".json", StringComparison.Ordinal) ? "plans/" + planPath : planPath;
        return GeneratedText(result);
    }

    [Fact]
    public void OurFormat_FixtureMatchesSnapshot()
    {
        string ours = Generate("intilery.json", out _);

        Assert.Contains("public const string PlannedAction = \"identify\";", ours, StringComparison.Ordinal);
        GeneratorSnapshotTests.MatchSnapshot("IntileryFixturePlan.g.cs.txt", ours);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void EveryFormat_GivesTheSameClassesAsOurs(string planPath, string snapshot)
    {
        string ours = Generate("intilery.json", out string oursName);

        string generated = Generate(planPath, out string name);

        // The only difference allowed is the plan's name in the header and the Catalog's summary.
        Assert.Equal(ours.Replace(oursName, "PLAN", StringComparison.Ordinal), generated.Replace(name, "PLAN", StringComparison.Ordinal));
        GeneratorSnapshotTests.MatchSnapshot(snapshot, generated);
    }

    [Fact]
    public void Iglu_SeveralVersionsOfOneEvent_TheLatestWins()
    {
        // 1-0-0 of order_completed has no products; 1-0-1 adds them.
        string generated = Generate("iglu", out _);

        Assert.Equal(1, Count(generated, "public const string PlannedAction = \"order_completed\";"));
        Assert.Contains("ProductInfo", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void SegmentApi_SeveralVersionsOfOneRule_TheLatestWins()
    {
        string generated = Generate("segment-api.json", out _);

        Assert.Equal(1, Count(generated, "public const string PlannedAction = \"order_completed\";"));
        Assert.Contains("ProductInfo", generated, StringComparison.Ordinal);
    }

    [Fact]
    public void Glob_NamesTheFilesOfADirectory()
    {
        string byDirectory = Generate("jsonschema", out string directoryName);

        string byGlob = Generate("jsonschema/*.json", out string globName);

        Assert.Equal(byDirectory.Replace(directoryName, "PLAN", StringComparison.Ordinal), byGlob.Replace(globName, "PLAN", StringComparison.Ordinal));
    }

    [Fact]
    public void JsonSchema_WithoutTitle_TakesTheActionFromTheFileName()
    {
        const string schema = """{ "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "properties": { "cart_id": { "type": "string" } } }""";

        (GeneratorDriverRunResult result, Compilation output) = Run(Source("checkout_started.json"), ("/project/plans/checkout_started.json", schema));

        Assert.Empty(result.Diagnostics);
        GeneratorSnapshotTests.AssertCompiles(output);
        string text = GeneratedText(result);
        Assert.Contains("public sealed partial class CheckoutStarted :", text, StringComparison.Ordinal);
        Assert.Contains("public const string PlannedAction = \"checkout_started\";", text, StringComparison.Ordinal);
        Assert.Contains("CartId", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Segment_VendorKeyOverridesTheAction()
    {
        const string plan = """
            { "events": [ { "name": "Checkout Step Viewed", "x-intilery-action": "checkout_step", "rules": { "$schema": "http://json-schema.org/draft-07/schema#",
              "type": "object", "properties": { "properties": { "type": "object", "properties": { "step": { "type": "integer" } } } } } } ] }
            """;

        (GeneratorDriverRunResult result, _) = Run(Source("plan.json"), ("/project/plans/plan.json", plan));

        Assert.Empty(result.Diagnostics);
        string text = GeneratedText(result);
        Assert.Contains("public const string PlannedAction = \"checkout_step\";", text, StringComparison.Ordinal);
        Assert.Contains("public sealed partial class CheckoutStepViewed :", text, StringComparison.Ordinal);
    }

    [Fact]
    public void UndetectableFile_ESG003_UntilTheAttributeNamesTheFormat()
    {
        // A schema that is only a $ref into its definitions states no type, properties or $schema at its root.
        const string schema = """
            { "title": "Order Refunded", "$ref": "#/definitions/refund",
              "definitions": { "refund": { "type": "object", "properties": { "order_id": { "type": "string" }, "amount": { "type": "number" } } } } }
            """;
        (string, string) file = ("/project/plans/refund.json", schema);

        (GeneratorDriverRunResult detected, _) = Run(Source("refund.json"), file);
        (GeneratorDriverRunResult named, Compilation output) = Run(Source("refund.json", "JsonSchema"), file);

        Diagnostic d = Assert.Single(detected.Diagnostics);
        Assert.Equal("ESG003", d.Id);
        Assert.Equal(new LinePosition(0, 0), d.Location.GetLineSpan().StartLinePosition);
        Assert.Contains("Format = PlanFormat", d.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(named.Diagnostics);
        GeneratorSnapshotTests.AssertCompiles(output);
        Assert.Contains("public const string PlannedAction = \"order_refunded\";", GeneratedText(named), StringComparison.Ordinal);
        Assert.Contains("public double? Amount", GeneratedText(named), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"#/definitions/missing\"", "points at nothing")]
    [InlineData("\"other.json#/definitions/product\"", "is not local")]
    [InlineData("\"#/definitions/node\"", "recursive")]
    public void UnresolvableRef_ESG004AtTheRef_AndTheRestIsGenerated(string reference, string why)
    {
        string plan = $$"""
            { "events": [ { "action": "tree_saved", "name": "Tree Saved", "properties": { "type": "object", "properties": {
                "name": { "type": "string" },
                "root": { "$ref": {{reference}} } } } } ],
              "definitions": { "node": { "type": "object", "properties": { "child": { "$ref": "#/definitions/node" } } } } }
            """;

        (GeneratorDriverRunResult result, Compilation output) = Run(Source("plan.json"), ("/project/plans/plan.json", plan));

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("ESG004", d.Id);
        Assert.Equal("/project/plans/plan.json", d.Location.GetLineSpan().Path);
        // At the $ref's value; the recursive case where the cycle closes, inside the definition.
        string marker = why == "recursive" ? "\"child\": { \"$ref\": " : "\"root\": { \"$ref\": ";
        LinePosition expected = At(plan, marker);
        Assert.Equal(new LinePosition(expected.Line, expected.Character + marker.Length), d.Location.GetLineSpan().StartLinePosition);
        Assert.Contains(why, d.GetMessage(), StringComparison.Ordinal);
        GeneratorSnapshotTests.AssertCompiles(output);
        Assert.Contains("public string? Name", GeneratedText(result), StringComparison.Ordinal);
    }

    [Fact]
    public void AllOf_MergesPropertiesAndRequired()
    {
        const string plan = """
            { "events": [ { "action": "order_shipped", "name": "Order Shipped", "properties": { "allOf": [
                { "$ref": "#/definitions/order" },
                { "type": "object", "required": ["carrier"], "properties": { "carrier": { "type": "string" } } } ] } } ],
              "definitions": { "order": { "type": "object", "required": ["order_id"], "properties": { "order_id": { "type": "string" } } } } }
            """;

        (GeneratorDriverRunResult result, Compilation output) = Run(Source("plan.json"), ("/project/plans/plan.json", plan));

        Assert.Empty(result.Diagnostics);
        GeneratorSnapshotTests.AssertCompiles(output);
        string text = GeneratedText(result);
        // Both are required (one from each part), so neither is nullable.
        Assert.Contains("public string OrderId", text, StringComparison.Ordinal);
        Assert.Contains("public string Carrier", text, StringComparison.Ordinal);
        Assert.Contains("\"properties.carrier\"", text, StringComparison.Ordinal);
        Assert.Contains("\"properties.order_id\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Iglu_BadVersion_ESG003AtTheVersion()
    {
        const string schema = """
            { "$schema": "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#",
              "self": { "vendor": "com.intilery", "name": "cart_viewed", "format": "jsonschema", "version": "1.0" },
              "type": "object", "properties": {} }
            """;

        (GeneratorDriverRunResult result, _) = Run(Source("cart_viewed.json"), ("/project/plans/cart_viewed.json", schema));

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("ESG003", d.Id);
        Assert.Equal(At(schema, "\"1.0\""), d.Location.GetLineSpan().StartLinePosition);
        Assert.Empty(result.GeneratedTrees);
    }

    [Theory]
    [InlineData("Order Completed", "order_completed")]
    [InlineData("orderCompleted", "order_completed")]
    [InlineData("Product List-Viewed", "product_list_viewed")]
    [InlineData("identify", "identify")]
    [InlineData("IDENTIFY", "identify")]
    [InlineData("SMS Opened", "sms_opened")]
    public void Actions_AreSnakeCaseOfTheDisplayName(string name, string action)
        => Assert.Equal(action, Naming.ToSnakeCase(name));

    [Fact]
    public void EveryStandardEventName_MakesItsAction()
    {
        // Intilery's 84 standard events: the snake_case of each display name is its action (identify included).
        string plan = File.ReadAllText(Path.Combine(TestData.RepoRoot(), "data", "tracking-plan.json"));
        var events = System.Text.Json.JsonDocument.Parse(plan).RootElement.GetProperty("events").EnumerateArray().ToList();

        Assert.Equal(84, events.Count);
        Assert.All(events, e => Assert.Equal(e.GetProperty("action").GetString(), Naming.ToSnakeCase(e.GetProperty("name").GetString()!)));
    }

    [Fact]
    public void Iglu_SecondRun_AfterAnUnrelatedEdit_EveryStepCachedOrUnchanged_AndAnEditRegeneratesTheModel()
    {
        CSharpCompilation compilation = Compilation(Source("iglu"));
        var texts = PlanFiles().Select(f => Text(f.Path, f.Text)).ToList();
        GeneratorDriver driver = Driver(texts).RunGenerators(compilation);

        AssertCachedAfterAnUnrelatedEdit(driver, compilation);

        AdditionalText latest = texts.Single(t => t.Path.EndsWith("order_completed/jsonschema/1-0-1", StringComparison.Ordinal));
        string changed = latest.GetText()!.ToString().Replace("\"checkout_id\"", "\"checkout_ref\"", StringComparison.Ordinal);
        GeneratorRunResult third = Assert.Single(driver.ReplaceAdditionalText(latest, Text(latest.Path, changed)).RunGenerators(compilation).GetRunResult().Results);

        Assert.Contains(third.TrackedSteps[TrackingPlanGenerator.Steps.Models].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("CheckoutRef", third.GeneratedSources.Single().SourceText.ToString(), StringComparison.Ordinal);
    }

    private static int Count(string text, string value)
    {
        int count = 0;
        for (int i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }
}
