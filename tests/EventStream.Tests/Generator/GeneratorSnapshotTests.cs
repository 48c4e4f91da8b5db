using EventStream.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace EventStream.Tests.Generator;

/// <summary>
/// Golden files of the generated code. After an intended change, run the tests with EVENTSTREAM_UPDATE_SNAPSHOTS=1
/// and review the diff of Generator/Snapshots/ like any other code change.
/// </summary>
public class GeneratorSnapshotTests
{
    [Fact]
    public void Generate_ShopPlanUsingEveryConstruct_MatchesSnapshotAndCompiles()
    {
        string plan = File.ReadAllText(Path.Combine(TestData.RepoRoot(), "tests", "EventStream.TypedEvents.Tests", "shop-plan.json"));

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.RunPlan(plan);

        AssertCompiles(output);
        MatchSnapshot("ShopPlan.g.cs.txt", GeneratorHarness.GeneratedText(result));
    }

    [Fact]
    public void Generate_IntileryStandardPlan_MatchesSnapshotAndCompiles()
    {
        string plan = File.ReadAllText(Path.Combine(TestData.RepoRoot(), "data", "tracking-plan.json"));

        (GeneratorDriverRunResult result, Compilation output) = GeneratorHarness.RunPlan(plan);

        AssertCompiles(output);
        string text = GeneratorHarness.GeneratedText(result);
        Assert.Equal(84, CountOccurrences(text, ": global::EventStream.Typed.PlannedEvent"));
        MatchSnapshot("IntileryPlan.g.cs.txt", text);
    }

    internal static void AssertCompiles(Compilation output)
    {
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(10)));
    }

    private static int CountOccurrences(string text, string value)
    {
        int count = 0;
        for (int i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    internal static void MatchSnapshot(string name, string actual)
    {
        string path = Path.Combine(TestData.RepoRoot(), "tests", "EventStream.Tests", "Generator", "Snapshots", name);
        actual = actual.Replace("\r\n", "\n", StringComparison.Ordinal);
        if (Environment.GetEnvironmentVariable("EVENTSTREAM_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"No snapshot {path}; run with EVENTSTREAM_UPDATE_SNAPSHOTS=1 to create it.");
        string expected = File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.Equal(expected, actual);
    }
}
