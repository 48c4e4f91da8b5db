using EventStream.Generators;
using EventStream.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using static EventStream.Tests.Generator.GeneratorHarness;

namespace EventStream.Tests.Generator;

/// <summary>
/// JSON Schema constructs beyond types and enums: formats, limits, <c>additionalProperties</c>, <c>oneOf</c> told apart by a
/// <c>const</c>, a <c>$ref</c> to another file and enums without a type or of mixed types
/// (the TypedEvents project's constructs-plan.json and defs/common.json, which it also compiles and runs).
/// </summary>
public class GeneratorSchemaTests
{
    private const string ConstructsSource = """
        using EventStream.Typed;

        namespace Shop;

        [TrackingPlan("constructs-plan.json")]
        public static partial class ShopEvents;
        """;

    private static readonly string ProjectDirectory = Path.Combine(TestData.RepoRoot(), "tests", "EventStream.TypedEvents.Tests");

    private static (string Path, string Text)[] ConstructsFiles()
        =>
        [
            ("/project/constructs-plan.json", File.ReadAllText(Path.Combine(ProjectDirectory, "constructs-plan.json"))),
            ("/project/defs/common.json", File.ReadAllText(Path.Combine(ProjectDirectory, "defs", "common.json"))),
        ];

    private static string Property(Compilation output, string type, string name)
        => ((IPropertySymbol)output.GetTypeByMetadataName(type)!.GetMembers(name).Single()).Type.ToDisplayString();

    [Fact]
    public void ConstructsPlan_MatchesSnapshotAndCompiles_WarningOnlyForTheMixedEnum()
    {
        (GeneratorDriverRunResult result, Compilation output) = Run(ConstructsSource, ConstructsFiles());

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("ESG004", d.Id);
        Assert.Contains("mixed types (string and number and boolean and null)", d.GetMessage(), StringComparison.Ordinal);
        GeneratorSnapshotTests.AssertCompiles(output);
        GeneratorSnapshotTests.MatchSnapshot("ConstructsPlan.g.cs.txt", GeneratedText(result));
    }

    [Theory]
    [InlineData("PlacedOn", "System.DateOnly?")]
    [InlineData("ReceiptUrl", "System.Uri?")]
    [InlineData("ContactEmail", "string?")]
    [InlineData("Step", "long?")]
    [InlineData("Attributes", "System.Collections.Generic.IReadOnlyDictionary<string, string>?")]
    [InlineData("AdditionalProperties", "System.Collections.Generic.IReadOnlyDictionary<string, System.Text.Json.JsonElement>")]
    [InlineData("Label", "System.Text.Json.JsonElement?")]
    [InlineData("Size", "Shop.ShopEvents.CheckoutStepCompleted.SizeKind?")]
    [InlineData("Payment", "Shop.ShopEvents.CheckoutStepCompleted.PaymentInfo")]
    [InlineData("ShippingAddress", "Shop.ShopEvents.CheckoutStepCompleted.ShippingAddressInfo?")]
    public void ConstructsPlan_MapsEachConstructToItsType(string property, string type)
    {
        (_, Compilation output) = Run(ConstructsSource, ConstructsFiles());

        Assert.Equal(type, Property(output, "Shop.ShopEvents+CheckoutStepCompleted", property));
    }

    [Fact]
    public void OneOfWithConstDiscriminator_AbstractBaseWithASealedCasePerValue()
    {
        (_, Compilation output) = Run(ConstructsSource, ConstructsFiles());

        INamedTypeSymbol payment = output.GetTypeByMetadataName("Shop.ShopEvents+CheckoutStepCompleted+PaymentInfo")!;
        Assert.True(payment.IsAbstract);
        Assert.Equal("string", ((IPropertySymbol)payment.GetMembers("Method").Single()).Type.ToDisplayString());
        string[] cases = ["Card", "Paypal", "Voucher"];
        Assert.All(cases, name =>
        {
            INamedTypeSymbol c = output.GetTypeByMetadataName("Shop.ShopEvents+CheckoutStepCompleted+PaymentInfo+" + name)!;
            Assert.True(c.IsSealed);
            Assert.Equal(payment, c.BaseType, SymbolEqualityComparer.Default);
        });

        // The case from defs/common.json keeps its required last4; the discriminator is the base's, overridden with its const.
        Assert.Equal("string", Property(output, "Shop.ShopEvents+CheckoutStepCompleted+PaymentInfo+Card", "Last4"));
        Assert.True(((IPropertySymbol)output.GetTypeByMetadataName("Shop.ShopEvents+CheckoutStepCompleted+PaymentInfo+Card")!.GetMembers("Method").Single()).IsOverride);
    }

    [Fact]
    public void AdditionalPropertiesFalse_NoDictionary_AndSchemaOnANestedObject_ADictionaryOfItsType()
    {
        (_, Compilation output) = Run(ConstructsSource, ConstructsFiles());

        Assert.Empty(output.GetTypeByMetadataName("Shop.ShopEvents+CouponApplied")!.GetMembers("AdditionalProperties"));
        Assert.Equal(
            "System.Collections.Generic.IReadOnlyDictionary<string, long>",
            Property(output, "Shop.ShopEvents+CouponApplied+MetadataInfo", "AdditionalProperties"));
    }

    [Fact]
    public void OneOfWithoutADiscriminator_ESG004AtTheOneOf()
    {
        const string plan = """
            { "events": [ { "action": "a", "name": "A", "properties": { "type": "object", "properties": {
              "pay": { "oneOf": [ { "type": "object", "properties": { "kind": { "const": "x" } } }, { "type": "object", "properties": { "kind": { "const": "x" } } } ] }
            } } } ] }
            """;

        (GeneratorDriverRunResult result, Compilation output) = RunPlan(plan);

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("ESG004", d.Id);
        Assert.Equal(At(plan, "[ { \"type\": \"object\""), d.Location.GetLineSpan().StartLinePosition);
        Assert.Contains("told apart", d.GetMessage(), StringComparison.Ordinal);
        Assert.Equal("System.Text.Json.JsonElement?", Property(output, "Shop.ShopEvents+A", "Pay"));
    }

    [Fact]
    public void RefToAnotherFile_ProblemInsideIt_ReportedAtItsLineInThatFile()
    {
        const string plan = """
            { "events": [ { "action": "a", "name": "A", "properties": { "type": "object", "properties": {
              "where": { "$ref": "defs/places.json#/definitions/place" } } } } ] }
            """;
        const string places = """
            { "definitions": { "place": { "type": "object", "properties": {
                "name": { "type": "string" },
                "odd": { "type": "date" } } } } }
            """;

        (GeneratorDriverRunResult result, Compilation output) = Run(DefaultSource, ("/project/plan.json", plan), ("/project/defs/places.json", places));

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("ESG004", d.Id);
        Assert.Equal("/project/defs/places.json", d.Location.GetLineSpan().Path);
        Assert.Equal(At(places, "\"date\""), d.Location.GetLineSpan().StartLinePosition);
        GeneratorSnapshotTests.AssertCompiles(output);
        Assert.Equal("string?", Property(output, "Shop.ShopEvents+A+WhereInfo", "Name"));
    }

    [Fact]
    public void RefToAFileNotAmongTheAdditionalFiles_ESG004NamingIt()
    {
        const string plan = """
            { "events": [ { "action": "a", "name": "A", "properties": { "type": "object", "properties": {
              "where": { "$ref": "../shared/places.json#/definitions/place" } } } } ] }
            """;

        (GeneratorDriverRunResult result, _) = RunPlan(plan);

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("ESG004", d.Id);
        Assert.Contains("'/shared/places.json' is not among the project's AdditionalFiles", d.GetMessage(), StringComparison.Ordinal);
    }

    [Fact]
    public void RefsBetweenTwoFilesInACycle_ESG004NotALoop()
    {
        const string plan = """
            { "events": [ { "action": "a", "name": "A", "properties": { "type": "object", "properties": {
              "node": { "$ref": "b.json" } } } } ] }
            """;
        const string b = """{ "type": "object", "properties": { "next": { "$ref": "c.json" } } }""";
        const string c = """{ "type": "object", "properties": { "back": { "$ref": "b.json" } } }""";

        (GeneratorDriverRunResult result, Compilation output) = Run(DefaultSource, ("/project/plan.json", plan), ("/project/b.json", b), ("/project/c.json", c));

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("ESG004", d.Id);
        Assert.Equal("/project/c.json", d.Location.GetLineSpan().Path);
        Assert.Contains("recursive", d.GetMessage(), StringComparison.Ordinal);
        GeneratorSnapshotTests.AssertCompiles(output);
    }

    [Fact]
    public void PatternDotNetCannotRead_ESG012AndTheValueIsStillDecoded()
    {
        const string plan = """
            { "events": [ { "action": "a", "name": "A", "properties": { "type": "object", "properties": {
              "code": { "type": "string", "pattern": "[a-" } } } } ] }
            """;

        (GeneratorDriverRunResult result, Compilation output) = RunPlan(plan);

        Diagnostic d = Assert.Single(result.Diagnostics);
        Assert.Equal("ESG012", d.Id);
        Assert.Equal(DiagnosticSeverity.Warning, d.Severity);
        Assert.Equal(At(plan, "\"[a-\""), d.Location.GetLineSpan().StartLinePosition);
        Assert.Equal("string?", Property(output, "Shop.ShopEvents+A", "Code"));
        Assert.DoesNotContain("PlanRule", GeneratedText(result), StringComparison.Ordinal);
    }

    [Fact]
    public void EditOfTheReferencedFile_RegeneratesTheModel_AndAnUnrelatedEditIsCached()
    {
        CSharpCompilation compilation = Compilation(ConstructsSource);
        var texts = ConstructsFiles().Select(f => Text(f.Path, f.Text)).ToList();
        GeneratorDriver driver = Driver(texts).RunGenerators(compilation);

        AssertCachedAfterAnUnrelatedEdit(driver, compilation);

        AdditionalText common = texts.Single(t => t.Path.EndsWith("common.json", StringComparison.Ordinal));
        string changed = common.GetText()!.ToString().Replace("\"brand\"", "\"network\"", StringComparison.Ordinal);
        GeneratorRunResult third = Assert.Single(driver.ReplaceAdditionalText(common, Text(common.Path, changed)).RunGenerators(compilation).GetRunResult().Results);

        Assert.Contains(third.TrackedSteps[TrackingPlanGenerator.Steps.Models].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("NetworkKind", third.GeneratedSources.Single().SourceText.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "enum": ["a", "b"] }""", "Shop.ShopEvents.A.XKind?")]
    [InlineData("""{ "enum": [1, 2, null] }""", "Shop.ShopEvents.A.XKind?")]
    [InlineData("""{ "type": "string", "enum": ["a", 2] }""", "System.Text.Json.JsonElement?")]
    [InlineData("""{ "type": "number", "enum": [1.5, 2] }""", "System.Text.Json.JsonElement?")]
    public void Enums_TypedByTheirValues_MixedOnesRawWithAWarning(string schema, string type)
    {
        string plan = $$"""{ "events": [ { "action": "a", "name": "A", "properties": { "type": "object", "properties": { "x": {{schema}} } } } ] }""";

        (GeneratorDriverRunResult result, Compilation output) = RunPlan(plan);

        Assert.Equal(type, Property(output, "Shop.ShopEvents+A", "X"));
        Assert.Equal(type.StartsWith("System.Text.Json", StringComparison.Ordinal) ? ["ESG004"] : Array.Empty<string>(), result.Diagnostics.Select(d => d.Id));
        GeneratorSnapshotTests.AssertCompiles(output);
    }
}
