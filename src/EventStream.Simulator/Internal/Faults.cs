namespace EventStream.Simulator.Internal;

/// <summary>What one response suffers: a 5xx, a cut body, a malformed body, added latency.</summary>
/// <param name="Fail">Answer with <paramref name="Status"/> instead.</param>
/// <param name="Status">The 5xx for <paramref name="Fail"/>.</param>
/// <param name="Truncate">Cut the body short.</param>
/// <param name="Malformed">Make the body invalid JSON.</param>
/// <param name="Latency">Delay before answering.</param>
/// <param name="CutSeed">Where (and how) to cut.</param>
internal readonly record struct Faults(bool Fail, int Status, bool Truncate, bool Malformed, TimeSpan Latency, int CutSeed);
