using System.Collections.Immutable;
using EventStream.Generators;
using EventStream.Parsing;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;

namespace EventStream.Tests.Generator;

/// <summary>Runs the tracking-plan generator in process on a user's source and plan files, as the compiler would.</summary>
internal static class GeneratorHarness
{
    public const string SourcePath = "/project/ShopEvents.cs";

    public const string DefaultSource = """
        using EventStream.Typed;

        namespace Shop;

        [TrackingPlan("plan.json")]
        public static partial class ShopEvents;
        """;

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => MetadataReference.CreateFromFile(p)),
        MetadataReference.CreateFromFile(typeof(IntileryEvent).Assembly.Location),
    ]);

    public static CSharpCompilation Compilation(string source = DefaultSource)
        => CSharpCompilation.Create(
            "UserProject",
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Preview), path: SourcePath)],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver(params (string Path, string Text)[] files)
        => Driver(files.Select(f => Text(f.Path, f.Text)));

    public static AdditionalText Text(string path, string text) => new InMemoryText(path, text);

    public static GeneratorDriver Driver(IEnumerable<AdditionalText> files)
        => CSharpGeneratorDriver.Create(
            [new TrackingPlanGenerator().AsSourceGenerator()],
            files,
            new CSharpParseOptions(LanguageVersion.Preview),
            optionsProvider: null,
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    /// <summary>
    /// Runs <paramref name="driver"/> (already run on <paramref name="compilation"/>) again after an edit that has nothing
    /// to do with the plan, and asserts that every tracked step and every output was cached or unchanged.
    /// </summary>
    public static void AssertCachedAfterAnUnrelatedEdit(GeneratorDriver driver, CSharpCompilation compilation)
    {
        CSharpCompilation edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText(
            "namespace Shop; public static class Unrelated { public static int Answer => 42; }",
            new CSharpParseOptions(LanguageVersion.Preview), path: "/project/Unrelated.cs"));
        GeneratorRunResult second = Assert.Single(driver.RunGenerators(edited).GetRunResult().Results);
        foreach (string step in new[] { TrackingPlanGenerator.Steps.Targets, TrackingPlanGenerator.Steps.PlanFiles, TrackingPlanGenerator.Steps.Results, TrackingPlanGenerator.Steps.Models })
        {
            Assert.True(second.TrackedSteps.ContainsKey(step), $"step {step} not tracked");
            var reasons = second.TrackedSteps[step].SelectMany(s => s.Outputs).Select(o => o.Reason).ToList();
            Assert.NotEmpty(reasons);
            Assert.All(reasons, r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
        }

        Assert.All(
            second.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs),
            o => Assert.True(o.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, o.Reason.ToString()));
    }

    /// <summary>Runs the generator once; returns its result and the compilation with the generated code added.</summary>
    public static (GeneratorDriverRunResult Result, Compilation Output) Run(string source, params (string Path, string Text)[] files)
    {
        GeneratorDriver driver = Driver(files).RunGeneratorsAndUpdateCompilation(Compilation(source), out Compilation output, out _);
        return (driver.GetRunResult(), output);
    }

    public static (GeneratorDriverRunResult Result, Compilation Output) RunPlan(string planJson, string source = DefaultSource)
        => Run(source, ("/project/plan.json", planJson));

    /// <summary>The 0-based line and column of the first occurrence of <paramref name="marker"/>.</summary>
    public static LinePosition At(string text, string marker)
    {
        int index = text.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(index >= 0, $"marker {marker} not in the text");
        return SourceText.From(text).Lines.GetLinePosition(index);
    }

    public static string GeneratedText(GeneratorDriverRunResult result)
        => Assert.Single(Assert.Single(result.Results).GeneratedSources).SourceText.ToString();

    private sealed class InMemoryText(string path, string text) : AdditionalText
    {
        public override string Path { get; } = path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }
}
