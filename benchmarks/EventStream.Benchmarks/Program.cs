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

        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
