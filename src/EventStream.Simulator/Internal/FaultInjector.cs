namespace EventStream.Simulator.Internal;

/// <summary>Draws each response's faults from a seeded sequence: the same seed gives the same schedule.</summary>
internal sealed class FaultInjector(SimulatorOptions options)
{
    private static readonly int[] s_statuses = [500, 502, 503, 504];
    private readonly Random _random = new(unchecked((options.Seed * 7919) + 17));
    private readonly Lock _lock = new();

    public Faults Next()
    {
        lock (_lock)
        {
            double roll = _random.NextDouble();
            int status = s_statuses[_random.Next(s_statuses.Length)];
            TimeSpan latency = options.MaxAddedLatency > TimeSpan.Zero ? options.MaxAddedLatency * _random.NextDouble() : TimeSpan.Zero;
            int cutSeed = _random.Next(0, int.MaxValue);
            bool fail = roll < options.ErrorRate;
            bool truncate = !fail && roll < options.ErrorRate + options.TruncateRate;
            bool malformed = !fail && !truncate && roll < options.ErrorRate + options.TruncateRate + options.MalformedRate;
            return new Faults(fail, status, truncate, malformed, latency, cutSeed);
        }
    }
}
