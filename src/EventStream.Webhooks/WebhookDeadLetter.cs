namespace EventStream.Webhooks;

/// <summary>An event a route could not deliver: what it last got back, and how often it tried.</summary>
/// <param name="Route">The route's name.</param>
/// <param name="EventId">The event's id (its deliveries' <c>webhook-id</c>).</param>
/// <param name="Event">The event's JSON as received.</param>
/// <param name="Reason">Why it was given up: <c>rejected</c> (a 4xx), <c>gone</c> (410: the route is disabled), <c>retries exhausted</c>, <c>queue full</c>, <c>route disabled</c>, <c>stopped</c>.</param>
/// <param name="Status">The last HTTP status, or <see langword="null"/> when no response came (timeout, connection error).</param>
/// <param name="Error">What went wrong when no response came, or <see langword="null"/>.</param>
/// <param name="BodyExcerpt">The start of the last response body (at most 1 KiB), or <see langword="null"/>.</param>
/// <param name="Attempts">Attempts made.</param>
/// <param name="FirstAttempt">When the first attempt was made (null when none was).</param>
/// <param name="DeadLetteredAt">When it was given up.</param>
public sealed record WebhookDeadLetter(
    string Route,
    string EventId,
    System.Text.Json.JsonElement Event,
    string Reason,
    int? Status,
    string? Error,
    string? BodyExcerpt,
    int Attempts,
    DateTimeOffset? FirstAttempt,
    DateTimeOffset DeadLetteredAt);
