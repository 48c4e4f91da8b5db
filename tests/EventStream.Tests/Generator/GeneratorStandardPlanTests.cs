using EventStream.Generators;
using EventStream.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using static EventStream.Tests.Generator.GeneratorHarness;

namespace EventStream.Tests.Generator;

/// <summary>
/// Intilery's 84 standard events in every plan format (Generator/StandardPlans/, written by <see cref="StandardPlanConverter"/>)
/// give the same typed classes, with the same properties, as the standard plan in our format.
/// </summary>
public class GeneratorStandardPlanTests
{
    private static readonly string StandardPlan = File.ReadAllText(Path.Combine(TestData.RepoRoot(), "data", "tracking-plan.json"));

    private static readonly string FixturesDirectory = Path.Combine(TestData.RepoRoot(), "tests", "EventStream.Tests", "Generator", "StandardPlans");

    public static TheoryData<string> Formats => new() { "segment.json", "segment-api.json", "avo.json", "jsonschema", "iglu" };

    private static string Source(string planPath)
        => $$"""
            using EventStream.Typed;

            namespace Shop;

            [TrackingPlan("{{planPath}}")]
            public static partial class StandardEvents;
            """;

    private static (string Path, string Text)[] Files()
        =>
        [
            ("/project/standard/tracking-plan.json", StandardPlan),
            .. Directory.GetFiles(FixturesDirectory, "*", SearchOption.AllDirectories)
                .Select(f => ("/project/standard/" + Path.GetRelativePath(FixturesDirectory, f).Replace('\\', '/'), File.ReadAllText(f))),
        ];

    private static (string Text, string[] Diagnostics) Generate(string planPath)
    {
        (GeneratorDriverRunResult result, Compilation output) = Run(Source("standard/" + planPath), Files());
        GeneratorSnapshotTests.AssertCompiles(output);
        return (GeneratedText(result), [.. result.Diagnostics.Select(d => d.Id + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture))]);
    }

    [Fact]
    public void Fixtures_AreWhatTheConverterWrites()
    {
        SortedDictionary<string, string> expected = StandardPlanConverter.Convert(StandardPlan);
        if (Environment.GetEnvironmentVariable("EVENTSTREAM_UPDATE_SNAPSHOTS") == "1")
        {
            foreach ((string path, string text) in expected)
            {
                string file = Path.Combine(FixturesDirectory, path);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.WriteAllText(file, text);
            }
        }

        var committed = Directory.GetFiles(FixturesDirectory, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(FixturesDirectory, f).Replace('\\', '/'), f => File.ReadAllText(f).Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal(expected.Keys, committed.Keys.Order(StringComparer.Ordinal));
        Assert.All(expected, pair => Assert.True(pair.Value == committed[pair.Key], $"{pair.Key} differs from what StandardPlanConverter writes; run with EVENTSTREAM_UPDATE_SNAPSHOTS=1"));
        Assert.Equal(84 * 2 + 3, expected.Count);
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void EveryFormat_TheSame84ClassesAsOurs(string planPath)
    {
        (string ours, string[] ourDiagnostics) = Generate("tracking-plan.json");

        (string generated, string[] diagnostics) = Generate(planPath);

        Assert.Equal(84, Count(generated, ": global::EventStream.Typed.PlannedEvent"));
        string name = planPath.EndsWith(".json", StringComparison.Ordinal) ? planPath : "standard/" + planPath;
        if (planPath.EndsWith(".json", StringComparison.Ordinal))
        {
            // One file keeps the plan's order: the only difference allowed is the plan's name in the header and the Catalog's summary.
            Assert.Equal(ours.Replace("tracking-plan.json", "PLAN", StringComparison.Ordinal), generated.Replace(name, "PLAN", StringComparison.Ordinal));
        }
        else
        {
            // A file per event is read in path order: the same classes, each exactly as ours, and the same actions.
            Dictionary<string, string> ourClasses = EventClasses(ours);
            Dictionary<string, string> classes = EventClasses(generated);
            Assert.Equal(84, ourClasses.Count);
            Assert.Equal(ourClasses.Keys.Order(StringComparer.Ordinal), classes.Keys.Order(StringComparer.Ordinal));
            Assert.All(ourClasses, pair => Assert.Equal(pair.Value, classes[pair.Key]));
            Assert.Equal(Actions(ours), Actions(generated));
        }

        // The same warnings (the standard plan has a few: traits named like envelope members, untyped values), each file's in its own place.
        Assert.Equal(ourDiagnostics.Order(StringComparer.Ordinal), diagnostics.Order(StringComparer.Ordinal));
    }

    // Each generated event class's text (its docs, attribute and body), by class name.
    private static Dictionary<string, string> EventClasses(string text)
    {
        string[] lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var classes = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < lines.Length; i++)
        {
            const string prefix = "        public sealed partial class ";
            if (!lines[i].StartsWith(prefix, StringComparison.Ordinal) || !lines[i].EndsWith(" : global::EventStream.Typed.PlannedEvent", StringComparison.Ordinal))
            {
                continue;
            }

            int start = i;
            while (start > 0 && (lines[start - 1].StartsWith("        ///", StringComparison.Ordinal) || lines[start - 1].StartsWith("        [", StringComparison.Ordinal)))
            {
                start--;
            }

            int end = Array.IndexOf(lines, "        }", i);
            classes.Add(lines[i][prefix.Length..].Split(' ')[0], string.Join("\n", lines[start..(end + 1)]));
        }

        return classes;
    }

    private static string[] Actions(string text)
        => [.. System.Text.RegularExpressions.Regex.Matches(text, "public const string PlannedAction = \"([^\"]+)\";").Select(m => m.Groups[1].Value).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Formats))]
    public void EveryFormat_SecondRunAfterAnUnrelatedEdit_EveryStepCachedOrUnchanged(string planPath)
    {
        CSharpCompilation compilation = Compilation(Source("standard/" + planPath));
        GeneratorDriver driver = Driver(Files()).RunGenerators(compilation);

        AssertCachedAfterAnUnrelatedEdit(driver, compilation);
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
