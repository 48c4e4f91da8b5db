using System.Diagnostics;

namespace EventStream.Benchmarks;

/// <summary>What a stage of a timed mode costs this process: wall-clock seconds and processor seconds.</summary>
internal static class ProcessCost
{
    /// <summary>Runs <paramref name="run"/> and returns its seconds, this process's CPU seconds over it, and the count it returned.</summary>
    public static async Task<(double Seconds, double Cpu, long Count)> MeasureAsync(Func<Task<long>> run)
    {
        TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        long count = await run();
        return (clock.Elapsed.TotalSeconds, (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds, count);
    }
}
