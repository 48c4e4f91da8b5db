namespace EventStream.Simulator.Internal;

/// <summary>A parsed, validated query.</summary>
internal readonly record struct EventQuery(
    HashSet<string>? Include, HashSet<string>? Exclude, DateTimeOffset? Start, DateTimeOffset? End,
    bool Descending, int From, int Size, bool Inclusive)
{
    public bool Matches(string action)
        => (Include is null || Include.Contains(action)) && (Exclude is null || !Exclude.Contains(action));
}
