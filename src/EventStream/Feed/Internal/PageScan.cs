using EventStream.Parsing;

namespace EventStream.Feed.Internal;

/// <summary>One page read by the engine: the events worth delivering and what the page says about position and time.</summary>
internal sealed class PageScan
{
    public List<IntileryEvent> Accepted { get; } = [];

    public int Count { get; set; }

    public long Duplicates { get; set; }

    public DateTimeOffset? First { get; set; }

    public DateTimeOffset? Last { get; set; }

    public DateTimeOffset? MaxReceived { get; set; }

    public long? Total { get; set; }

    public DateTimeOffset? Date { get; set; }

    public long Timestamp { get; set; }

    public bool SawEventAtQueryStart { get; set; }
}
