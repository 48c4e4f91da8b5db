using System.Text.Json;

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
    DateTimeOffset DeadLetteredAt)
{
    /// <summary>The dead letter as JSON, as the stores keep it (one line of <see cref="NdjsonDeadLetterStore"/>'s file).</summary>
    /// <returns>UTF-8 JSON: camelCase members, those without a value left out, the event as received.</returns>
    public byte[] ToUtf8Json() => JsonSerializer.SerializeToUtf8Bytes(this, DeadLetterJson.Default.WebhookDeadLetter);

    /// <summary>Reads a dead letter written by <see cref="ToUtf8Json"/>.</summary>
    /// <param name="utf8Json">The JSON.</param>
    /// <returns>The dead letter.</returns>
    /// <exception cref="InvalidDataException">It is not JSON, or not a dead letter (route, eventId and event are required).</exception>
    public static WebhookDeadLetter FromUtf8Json(ReadOnlySpan<byte> utf8Json)
    {
        WebhookDeadLetter? letter;
        try
        {
            letter = JsonSerializer.Deserialize(utf8Json, DeadLetterJson.Default.WebhookDeadLetter);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException(ex.Message, ex);
        }

        if (letter is null || string.IsNullOrEmpty(letter.Route) || string.IsNullOrEmpty(letter.EventId) || letter.Event.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("route, eventId and event are required.");
        }

        return letter;
    }
}
