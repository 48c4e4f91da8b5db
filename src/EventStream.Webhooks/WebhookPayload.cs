namespace EventStream.Webhooks;

/// <summary>What a delivery's body holds.</summary>
public enum WebhookPayload
{
    /// <summary>The event's JSON exactly as the Events API returned it (what <c>tail --format ndjson</c> prints): the default.</summary>
    Event = 0,

    /// <summary>The Standard Webhooks envelope <c>{"type": eventAction, "timestamp": eventTime, "data": event}</c>.</summary>
    Envelope = 1,
}
