using BenchmarkDotNet.Running;

namespace EventStream.Benchmarks;

public static class Program
{
    /// <summary>
    /// BenchmarkDotNet's switcher (<c>--filter '*'</c>), or <c>catch-up N</c>: one client-only catch-up of an N-event backlog
    /// from <c>eventstream serve</c> with the limit off, for profilers (<c>dotnet-trace collect -- dotnet EventStream.Benchmarks.dll catch-up 200000</c>).
    /// </summary>
    public static async Task Main(string[] args)
    {
        if (args is ["catch-up", string count])
        {
            var bench = new EndToEndBenchmarks { Backlog = int.Parse(count, System.Globalization.CultureInfo.InvariantCulture) };
            bench.Setup();
            try
            {
                await bench.FeedUnlimited();
            }
            finally
            {
                bench.Cleanup();
            }

            return;
        }

        if (args is ["pipeline", string part])
        {
            // For profilers: one pipeline part on a loop for about ten seconds.
            var bench = new PipelineBenchmarks();
            bench.Setup();
            Func<int> run = part switch
            {
                "dedupe" => bench.DedupeOnly,
                "reorder" => bench.ReorderOnly,
                _ => bench.BoundedPipeline,
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            int rounds = 0;
            while (clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                run();
                rounds++;
            }

            Console.WriteLine($"{part}: {clock.Elapsed.TotalNanoseconds / rounds / PipelineBenchmarks.Events:F1} ns/event");
            return;
        }

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
