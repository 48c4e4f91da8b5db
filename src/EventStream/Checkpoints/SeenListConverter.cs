using System.Text.Json;
using System.Text.Json.Serialization;

namespace EventStream.Checkpoints;

/// <summary>
/// A checkpoint's seen ids, written compactly: <c>{"from": time, "ids": [...], "ms": [...]}</c>, each event's time the
/// one before it (the first: <c>from</c>) plus its milliseconds. A live feed keeps <c>MaxLateness</c> of ids (30 s by
/// default); written as objects (<c>{"eventId":…,"eventTime":…}</c>, ~100 bytes each) a feed at 350 events/s wrote
/// checkpoints past NATS's 1 MB <c>max_payload</c>; this form takes ~45 bytes an id. Times finer than a millisecond
/// (Intilery's are whole milliseconds) are written in the object form, which is read as before.
/// </summary>
internal sealed class SeenListConverter : JsonConverter<IReadOnlyList<SeenEvent>>
{
    public override IReadOnlyList<SeenEvent>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.StartArray:
                return JsonSerializer.Deserialize(ref reader, CheckpointJson.Default.SeenEventArray);
            case JsonTokenType.StartObject:
                break;
            default:
                throw new JsonException("seen: expected an array or an object");
        }

        DateTimeOffset? from = null;
        List<string?>? ids = null;
        List<long>? ms = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "from" when reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out DateTimeOffset f):
                    from = f;
                    break;
                case "ids" when reader.TokenType == JsonTokenType.StartArray:
                    ids = [];
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        ids.Add(reader.TokenType == JsonTokenType.String ? reader.GetString() : throw new JsonException("seen.ids: expected strings"));
                    }

                    break;
                case "ms" when reader.TokenType == JsonTokenType.StartArray:
                    ms = [];
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        ms.Add(reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long d) && d >= 0 ? d : throw new JsonException("seen.ms: expected whole milliseconds, not negative"));
                    }

                    break;
                default:
                    throw new JsonException($"seen: unexpected or malformed \"{name}\"");
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new JsonException("seen: malformed object");
        }

        if (ids is null || ms is null || ids.Count != ms.Count || (ids.Count > 0 && from is null))
        {
            throw new JsonException("seen: needs from, and as many ms as ids");
        }

        var seen = new SeenEvent[ids.Count];
        DateTimeOffset at = from ?? default;
        for (int i = 0; i < seen.Length; i++)
        {
            at = ms[i] <= (DateTimeOffset.MaxValue - at).TotalMilliseconds ? at.AddMilliseconds(ms[i]) : throw new JsonException("seen.ms: past the largest time");
            seen[i] = new SeenEvent(ids[i]!, at);
        }

        return seen;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<SeenEvent> value, JsonSerializerOptions options)
    {
        bool compact = true;
        for (int i = 0; i < value.Count && compact; i++)
        {
            compact = value[i].EventTime.UtcTicks % TimeSpan.TicksPerMillisecond == 0 && (i == 0 || value[i].EventTime >= value[i - 1].EventTime);
        }

        if (!compact)
        {
            JsonSerializer.Serialize(writer, [.. value], CheckpointJson.Default.SeenEventArray);
            return;
        }

        writer.WriteStartObject();
        if (value.Count > 0)
        {
            writer.WriteString("from"u8, value[0].EventTime);
        }

        writer.WriteStartArray("ids"u8);
        foreach (SeenEvent seen in value)
        {
            writer.WriteStringValue(seen.EventId);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("ms"u8);
        for (int i = 0; i < value.Count; i++)
        {
            writer.WriteNumberValue(i == 0 ? 0 : (value[i].EventTime.UtcTicks - value[i - 1].EventTime.UtcTicks) / TimeSpan.TicksPerMillisecond);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }
}
