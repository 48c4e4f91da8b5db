namespace EventStream.Tests.Infrastructure;

/// <summary>
/// Tests that measure the process (memory) or need the machine's attention (a real-time stream that must keep up) run
/// in this collection: after the parallel ones, one at a time.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Alone
{
    public const string Name = "alone";
}
