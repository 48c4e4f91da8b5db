namespace EventStream.Parsing;

/// <summary>
/// The header of the event an <see cref="EventPageReader"/> is on: enough to decide whether to keep it
/// (dedupe, filter, cursor) without allocating. Its spans point into the page and are valid until the reader moves.
/// </summary>
public readonly ref struct EventHeader
{
    internal EventHeader(ReadOnlySpan<byte> eventId, ReadOnlySpan<byte> eventAction, DateTimeOffset eventTime, DateTimeOffset? receivedTime, ReadOnlySpan<byte> json)
    {
        EventId = eventId;
        EventAction = eventAction;
        EventTime = eventTime;
        ReceivedTime = receivedTime;
        Json = json;
    }

    /// <summary>The event's <c>eventId</c>, UTF-8, unescaped.</summary>
    public ReadOnlySpan<byte> EventId { get; }

    /// <summary>The event's <c>eventAction</c>, UTF-8, unescaped.</summary>
    public ReadOnlySpan<byte> EventAction { get; }

    /// <summary>The event's <c>eventTime</c>.</summary>
    public DateTimeOffset EventTime { get; }

    /// <summary>The event's <c>receivedTime</c>, when present.</summary>
    public DateTimeOffset? ReceivedTime { get; }

    /// <summary>The event's JSON object exactly as received.</summary>
    public ReadOnlySpan<byte> Json { get; }
}
