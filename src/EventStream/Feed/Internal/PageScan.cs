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

    /// <summary>How many of the page's events share <see cref="Last"/>'s time.</summary>
    public int AtLast { get; set; }

    public DateTimeOffset? MaxReceived { get; set; }

    public long? Total { get; set; }

    public DateTimeOffset? Date { get; set; }

    /// <summary>Local timestamp when the body was parsed (after the response arrived).</summary>
    public long Timestamp { get; set; }

    /// <summary>Local timestamp just before the request was sent: the query was answered after it.</summary>
    public long SentTimestamp { get; set; }

    public bool SawEventAtQueryStart { get; set; }

    public bool SawEventAtQueryEnd { get; set; }

    public List<UnreadableEvent>? Unreadable { get; set; }
}
