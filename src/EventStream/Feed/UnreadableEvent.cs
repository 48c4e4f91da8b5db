namespace EventStream.Feed;

/// <summary>
/// An event the feed skipped because it could not be read: well-formed JSON that lacks what every event has (an object
/// with <c>eventId</c>, <c>eventAction</c> and an ISO 8601 <c>eventTime</c>). The rest of its page was delivered; the
/// event's JSON is kept here so that nothing is lost.
/// </summary>
/// <param name="Reason">What is wrong with it, e.g. <c>event 17 has no eventId</c>.</param>
/// <param name="RequestId">The <c>x-amzn-RequestId</c> of the response that carried it, when known.</param>
/// <param name="BytePosition">Where the event starts in that response's body.</param>
/// <param name="Json">The event's JSON exactly as received.</param>
public sealed record UnreadableEvent(string Reason, string? RequestId, long BytePosition, string Json)
{
    /// <inheritdoc />
    public override string ToString() => $"unreadable event skipped: {Reason} (request id {RequestId ?? "none"}, byte {BytePosition})";
}
