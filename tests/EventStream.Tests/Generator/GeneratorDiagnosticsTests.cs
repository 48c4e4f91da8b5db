using EventStream.Generators;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;
using static EventStream.Tests.Generator.GeneratorHarness;

namespace EventStream.Tests.Generator;

/// <summary>Every diagnostic ID, with its exact location: in the plan file (line and column) or in the user's source.</summary>
public class GeneratorDiagnosticsTests
{
    private const string PlanPath = "/project/plan.json";

    [Fact]
    public void PlanNotInAdditionalFiles_ESG001AtTheAttribute()
    {
        (GeneratorDriverRunResult result, _) = Run(DefaultSource, ("/project/other.json", "{}"));

        Diagnostic d = Assert.Single(result.Diagnostics);
        AssertAt(d, "ESG001", SourcePath, At(DefaultSource, "TrackingPlan(\"plan.json\")"));
        Assert.Contains("<AdditionalFiles Include=\"plan.json\" />", d.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(result.GeneratedTrees);
    }

    [Fact]
    public void InvalidJson_ESG002AtTheFaultWithNoCode()
    {
        const string plan = """
            {
              "events": [
                { "action": "a", "name": "A",, "properties": {} }
              ]
            }
            """;

        (GeneratorDriverRunResult result, _) = RunPlan(plan);

        Diagnostic d = Assert.Single(result.Diagnostics);
        AssertAt(d, "ESG002", PlanPath, At(plan, ", \"properties\""));
        Assert.Contains("expected a property name", d.GetMessage(), StringComparison.Ordinal);
        Assert.Empty(result.GeneratedTrees);
    }

    [Fact]
    public void TruncatedJson_ESG002AtTheEnd()
    {
        const string plan = "{ \"events\": [ { \"action\": \"a\" }";

        Diagnostic d = Assert.Single(RunPlan(plan).Result.Diagnostics);

        AssertAt(d, "ESG002", PlanPath, new LinePosition(0, plan.Length));
    }

    [Fact]
    public void NoEventsArray_ESG003AtTheRoot()
    {
        const string plan = """{ "$comment": "nothing here" }""";

        Diagnostic d = Assert.Single(RunPlan(plan).Result.Diagnostics);

        AssertAt(d, "ESG003", PlanPath, new LinePosition(0, 0));
    }

    [Fact]
    public void EventWithoutAction_ESG003AtTheEventAndOthersStillGenerated()
    {
        const string plan = """
            { "events": [
              { "name": "No Action" },
              { "action": "ok", "name": "Ok" }
            ] }
            """;

        (GeneratorDriverRunResult result, Compilation output) = RunPlan(plan);

        Diagnostic d = Assert.Single(result.Diagnostics);
        AssertAt(d, "ESG003", PlanPath, At(plan, "{ \"name\": \"No Action\""));
        Assert.NotNull(output.GetTypeByMetadataName("Shop.ShopEvents+Ok"));
    }

    [Fact]
    public void UnsupportedConstructs_ESG004AtEachAndGeneratedAsRawJson()
    {
        const string plan = """
            { "events": [ { "action": "a", "name": "A", "properties": { "type": "object", "properties": {
              "either": { "oneOf": [ { "type": "string" } ] },
              "mixed": { "type": ["string", "number"] },
              "untyped": { "description": "type not documented" },
              "odd": { "type": "date" },
              "nothing": { "type": "null" }
            } } } ] }
            """;

        (GeneratorDriverRunResult result, Compilation output) = RunPlan(plan);

        var diagnostics = result.Diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ToList();
        Assert.Equal(5, diagnostics.Count);
        AssertAt(diagnostics[0], "ESG004", PlanPath, At(plan, "[ { \"type\": \"string\" } ]"));
        AssertAt(diagnostics[1], "ESG004", PlanPath, At(plan, "[\"string\", \"number\"]"));
        AssertAt(diagnostics[2], "ESG004", PlanPath, At(plan, "{ \"description\": \"type not documented\" }"));
        AssertAt(diagnostics[3], "ESG004", PlanPath, At(plan, "\"date\""));
        AssertAt(diagnostics[4], "ESG004", PlanPath, At(plan, "\"null\" }"));
        Assert.Contains("always null", diagnostics[4].GetMessage(), StringComparison.Ordinal);
        Assert.All(diagnostics, d => Assert.Equal(DiagnosticSeverity.Warning, d.Severity));
        INamedTypeSymbol a = output.GetTypeByMetadataName("Shop.ShopEvents+A")!;
        Assert.All(["Either", "Mixed", "Untyped", "Odd", "Nothing"], name =>
            Assert.Equal("System.Text.Json.JsonElement?", ((IPropertySymbol)a.GetMembers(name).Single()).Type.ToDisplayString()));
        Assert.DoesNotContain(output.GetDiagnostics(), x => x.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void DuplicateAction_ESG005AtTheSecondAndItIsIgnored()
    {
        const string plan = """
            { "events": [
              { "action": "order_completed", "name": "Order Completed" },
              { "action": "order_completed", "name": "Order Done" }
            ] }
            """;

        (GeneratorDriverRunResult result, Compilation output) = RunPlan(plan);

        Diagnostic d = Assert.Single(result.Diagnostics);
        int second = plan.IndexOf("\"order_completed\"", plan.IndexOf("\"order_completed\"", StringComparison.Ordinal) + 1, StringComparison.Ordinal);
        AssertAt(d, "ESG005", PlanPath, SourceText.From(plan).Lines.GetLinePosition(second));
        Assert.Null(output.GetTypeByMetadataName("Shop.ShopEvents+OrderDone"));
    }

    [Fact]
    public void DuplicateNames_ESG006AndTheLaterRenamed()
    {
        const string plan = """
            { "events": [
              { "action": "a", "name": "Email Opened", "properties": { "type": "object", "properties": {
                "email_id": { "type": "string" }, "emailId": { "type": "integer" } } } },
              { "action": "b", "name": "email-opened" }
            ] }
            """;

        (GeneratorDriverRunResult result, Compilation output) = RunPlan(plan);

        var diagnostics = result.Diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ToList();
        Assert.Equal(2, diagnostics.Count);
        AssertAt(diagnostics[0], "ESG006", PlanPath, At(plan, "\"emailId\""));
        AssertAt(diagnostics[1], "ESG006", PlanPath, At(plan, "\"email-opened\""));
        INamedTypeSymbol a = output.GetTypeByMetadataName("Shop.ShopEvents+EmailOpened")!;
        Assert.Equal("long?", ((IPropertySymbol)a.GetMembers("EmailId2").Single()).Type.ToDisplayString());
        Assert.NotNull(output.GetTypeByMetadataName("Shop.ShopEvents+EmailOpened2"));
    }

    [Fact]
    public void NamesThatAreNotIdentifiers_ESG007AndAUsableName()
    {
        const string plan = """
            { "events": [
              { "action": "a", "name": "404 Seen", "properties": { "type": "object", "properties": { "%%": { "type": "string" } } } }
            ] }
            """;

        (GeneratorDriverRunResult result, Compilation output) = RunPlan(plan);

        var diagnostics = result.Diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ToList();
        Assert.Equal(2, diagnostics.Count);
        AssertAt(diagnostics[0], "ESG007", PlanPath, At(plan, "\"404 Seen\""));
        AssertAt(diagnostics[1], "ESG007", PlanPath, At(plan, "\"%%\""));
        INamedTypeSymbol type = output.GetTypeByMetadataName("Shop.ShopEvents+Event404Seen")!;
        Assert.NotEmpty(type.GetMembers("Value"));
        Assert.DoesNotContain(output.GetDiagnostics(), x => x.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void BaseMemberClash_ESG008AndSuffixedName()
    {
        const string plan = """
            { "events": [
              { "action": "a", "name": "A", "properties": { "type": "object", "properties": { "source": { "type": "string" }, "violations": { "type": "integer" } } } },
              { "action": "identify", "name": "Identify", "category": "identify", "properties": { "type": "object", "properties": { "email": { "type": "string" } } } }
            ] }
            """;

        (GeneratorDriverRunResult result, Compilation output) = RunPlan(plan);

        var diagnostics = result.Diagnostics.OrderBy(d => d.Location.SourceSpan.Start).ToList();
        Assert.Equal(3, diagnostics.Count);
        AssertAt(diagnostics[0], "ESG008", PlanPath, At(plan, "\"source\""));
        AssertAt(diagnostics[1], "ESG008", PlanPath, At(plan, "\"violations\""));
        AssertAt(diagnostics[2], "ESG008", PlanPath, At(plan, "\"email\""));
        Assert.NotEmpty(output.GetTypeByMetadataName("Shop.ShopEvents+A")!.GetMembers("SourceProperty"));
        Assert.NotEmpty(output.GetTypeByMetadataName("Shop.ShopEvents+A")!.GetMembers("ViolationsProperty"));
        Assert.NotEmpty(output.GetTypeByMetadataName("Shop.ShopEvents+Identify")!.GetMembers("EmailTrait"));
    }

    [Fact]
    public void RequiredNameNotAProperty_ESG011AtTheName()
    {
        const string plan = """
            { "events": [ { "action": "a", "name": "A", "properties": { "type": "object",
              "properties": { "order_id": { "type": "string" } }, "required": ["order_id", "orderId"] } } ] }
            """;

        (GeneratorDriverRunResult result, Compilation output) = RunPlan(plan);

        Diagnostic d = Assert.Single(result.Diagnostics);
        AssertAt(d, "ESG011", PlanPath, At(plan, "\"orderId\""));
        Assert.Equal("string", ((IPropertySymbol)output.GetTypeByMetadataName("Shop.ShopEvents+A")!.GetMembers("OrderId").Single()).Type.ToDisplayString());
    }

    [Fact]
    public void ClassNotPartial_ESG009AtTheClassName()
    {
        const string source = """
            using EventStream.Typed;
            namespace Shop;
            [TrackingPlan("plan.json")]
            public static class ShopEvents { }
            """;

        (GeneratorDriverRunResult result, _) = Run(source, (PlanPath, """{ "events": [] }"""));

        Diagnostic d = Assert.Single(result.Diagnostics);
        AssertAt(d, "ESG009", SourcePath, At(source, "ShopEvents"));
        Assert.Empty(result.GeneratedTrees);
    }

    [Fact]
    public void ClassNotStatic_ESG010AtTheClassName()
    {
        const string source = """
            using EventStream.Typed;
            namespace Shop;
            [TrackingPlan("plan.json")]
            public partial class ShopEvents { }
            """;

        (GeneratorDriverRunResult result, _) = Run(source, (PlanPath, """{ "events": [] }"""));

        Diagnostic d = Assert.Single(result.Diagnostics);
        AssertAt(d, "ESG010", SourcePath, At(source, "ShopEvents"));
    }

    [Fact]
    public void NestedInPartialTypes_GeneratesIntoTheNesting()
    {
        const string source = """
            using EventStream.Typed;
            namespace Shop;
            public partial class Outer
            {
                [TrackingPlan("plan.json")]
                internal static partial class Events;
            }
            """;

        (GeneratorDriverRunResult result, Compilation output) = Run(source, (PlanPath, """{ "events": [ { "action": "a", "name": "A" } ] }"""));

        Assert.Empty(result.Diagnostics);
        Assert.NotNull(output.GetTypeByMetadataName("Shop.Outer+Events+A"));
        Assert.DoesNotContain(output.GetDiagnostics(), x => x.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void PlanPathRelativeToSourceFile_IsFound()
    {
        (GeneratorDriverRunResult result, Compilation output) = Run(
            DefaultSource.Replace("plan.json", "../plans/shop.json", StringComparison.Ordinal),
            ("/plans/shop.json", """{ "events": [ { "action": "a", "name": "A" } ] }"""),
            ("/elsewhere/plans/shop.json", """{ "events": [] }"""));

        Assert.Empty(result.Diagnostics);
        Assert.NotNull(output.GetTypeByMetadataName("Shop.ShopEvents+A"));
    }

    [Fact]
    public void DescriptorIds_AreUniqueAndStable()
    {
        Assert.Equal(
            ["ESG001", "ESG002", "ESG003", "ESG004", "ESG005", "ESG006", "ESG007", "ESG008", "ESG009", "ESG010", "ESG011", "ESG012"],
            DiagnosticDescriptors.All.Select(d => d.Id));
    }

    private static void AssertAt(Diagnostic diagnostic, string id, string path, LinePosition start)
    {
        Assert.Equal(id, diagnostic.Id);
        FileLinePositionSpan span = diagnostic.Location.GetLineSpan();
        Assert.Equal(path, span.Path);
        Assert.Equal(start, span.StartLinePosition);
    }
}
