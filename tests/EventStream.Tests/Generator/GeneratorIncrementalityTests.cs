using System.Reflection;
using EventStream.Generators;
using EventStream.Generators.Model;
using EventStream.Typed;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using static EventStream.Tests.Generator.GeneratorHarness;

namespace EventStream.Tests.Generator;

public class GeneratorIncrementalityTests
{
    private const string Plan = """
        { "events": [ { "action": "order_completed", "name": "Order Completed", "properties": { "type": "object",
          "properties": { "order_id": { "type": "string" }, "status": { "type": "string", "enum": ["new", "paid"] } } } } ] }
        """;

    [Fact]
    public void SecondRun_AfterAnUnrelatedEdit_EveryStepCachedOrUnchanged()
    {
        CSharpCompilation compilation = Compilation();
        GeneratorDriver driver = Driver(("/project/plan.json", Plan)).RunGenerators(compilation);

        AssertCachedAfterAnUnrelatedEdit(driver, compilation);
    }

    [Fact]
    public void SecondRun_AfterAPlanEdit_RegeneratesTheModel()
    {
        CSharpCompilation compilation = Compilation();
        AdditionalText original = Text("/project/plan.json", Plan);
        GeneratorDriver driver = Driver([original]).RunGenerators(compilation);

        GeneratorDriver edited = driver.ReplaceAdditionalText(
            original,
            Text("/project/plan.json", Plan.Replace("\"paid\"", "\"paid\", \"shipped\"", StringComparison.Ordinal)));
        GeneratorRunResult second = Assert.Single(edited.RunGenerators(compilation).GetRunResult().Results);

        Assert.Contains(second.TrackedSteps[TrackingPlanGenerator.Steps.Models].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("Shipped,", second.GeneratedSources.Single().SourceText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Models_HoldNoRoslynObjects()
    {
        var seen = new HashSet<Type>();
        var pending = new Stack<Type>([typeof(PlanResult), typeof(PlanTarget), typeof(PlanFile)]);
        while (pending.TryPop(out Type? type))
        {
            if (!seen.Add(type) || type.IsPrimitive || type == typeof(string) || type.IsEnum)
            {
                continue;
            }

            Assert.False(type.Namespace?.StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal) == true
                && type.Name is not ("TextSpan" or "LinePositionSpan" or "LinePosition"), $"{type} is a Roslyn object in a model");
            foreach (FieldInfo field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            {
                pending.Push(field.FieldType);
                foreach (Type argument in field.FieldType.GetGenericArguments())
                {
                    pending.Push(argument);
                }
            }
        }

        Assert.Contains(typeof(EventModel), seen);
        Assert.Contains(typeof(TypeModel), seen);
    }

    [Fact]
    public void ReservedBaseMemberNames_CoverEveryMemberOfTheBaseEventType()
    {
        var members = typeof(PlannedEvent)
            .GetMembers(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy)
            .Where(m => m switch
            {
                MethodBase method => method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly,
                PropertyInfo property => property.GetMethod is { } get && (get.IsPublic || get.IsFamily),
                _ => false,
            })
            .Where(m => m is not ConstructorInfo && !m.Name.Contains('_', StringComparison.Ordinal) && m.Name != "<Clone>$")
            .Select(m => m.Name)
            .Distinct();

        Assert.All(members, name => Assert.Contains(name, Naming.BaseEventMembers));
    }
}
