namespace EventStream.Parsing.Internal;

/// <summary>An event a page reader skipped: its index in the page, where its JSON is in the body, and why.</summary>
internal readonly record struct UnreadableEventInfo(int Index, int Start, int Length, string Reason);
