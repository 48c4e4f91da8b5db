using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace EventStream.Tests.Benchmarks;

/// <summary>
/// The benchmarks' quick mode for CI: every benchmark method of every class runs once, for every parameter value,
/// in-process. It checks that they run and agree on what they read; it asserts no timings.
/// </summary>
public class BenchmarkSmokeTests
{
    public static TheoryData<string> BenchmarkClasses()
    {
        var data = new TheoryData<string>();
        foreach (Type type in typeof(EventStream.Benchmarks.Pages).Assembly.GetTypes()
            .Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null)))
        {
            data.Add(type.FullName!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(BenchmarkClasses))]
    public async Task EveryBenchmark_RunsOnce(string typeName)
    {
        Type type = typeof(EventStream.Benchmarks.Pages).Assembly.GetType(typeName)!;
        type.GetProperty("Quick", BindingFlags.Public | BindingFlags.Static)?.SetValue(null, true); // e.g. a small backlog end to end
        PropertyInfo? parameter = type.GetProperties().SingleOrDefault(p => p.GetCustomAttribute<ParamsAttribute>() is not null);
        object?[] values = parameter?.GetCustomAttribute<ParamsAttribute>()!.Values ?? [null];
        MethodInfo[] benchmarks = [.. type.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null)];
        Assert.Contains(benchmarks, m => m.GetCustomAttribute<BenchmarkAttribute>()!.Baseline);

        foreach (object? value in values)
        {
            object instance = Activator.CreateInstance(type)!;
            parameter?.SetValue(instance, value);
            Invoke<GlobalSetupAttribute>(type, instance);
            foreach (MethodInfo benchmark in benchmarks)
            {
                object? result = benchmark.Invoke(instance, null);
                // A ValueTask must be awaited too: left running, a save raced [GlobalCleanup]'s delete of its folder
                // ("Directory not empty", CheckpointSaveBenchmarks, once in a clean-clone run).
                if (result is ValueTask valueTask)
                {
                    await valueTask;
                    result = null;
                }
                else if (result?.GetType() is { IsGenericType: true } resultType && resultType.GetGenericTypeDefinition() == typeof(ValueTask<>))
                {
                    result = resultType.GetMethod(nameof(ValueTask<int>.AsTask))!.Invoke(result, null);
                }

                if (result is Task task)
                {
                    await task;
                    result = task.GetType().GetProperty("Result")?.GetValue(task);
                }

                Assert.True(result is not int n || n > 0, $"{type.Name}.{benchmark.Name}({value}) returned {result}");
            }

            Invoke<GlobalCleanupAttribute>(type, instance);
        }
    }

    [Fact]
    public void PageParse_EveryReaderSeesTheSameHundredEvents()
    {
        var bench = new EventStream.Benchmarks.PageParseBenchmarks { Page = "sample" };
        bench.Setup();

        Assert.Equal(100, bench.SystemTextJson());
        Assert.Equal(100, bench.NewtonsoftJson());
        Assert.Equal(bench.Untyped(), bench.HeaderOnly() - SumActionLengths(bench));
    }

    private static int SumActionLengths(EventStream.Benchmarks.PageParseBenchmarks bench)
    {
        var reader = new EventStream.Parsing.EventPageReader(EventStream.Benchmarks.Pages.SampleShaped);
        int n = 0;
        while (reader.MoveNext())
        {
            n += reader.Header.EventAction.Length;
        }

        _ = bench;
        return n;
    }

    private static void Invoke<TAttribute>(Type type, object instance)
        where TAttribute : Attribute
    {
        foreach (MethodInfo method in type.GetMethods().Where(m => m.GetCustomAttribute<TAttribute>() is not null))
        {
            method.Invoke(instance, null);
        }
    }
}
