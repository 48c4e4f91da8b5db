using System.Text.Json;

namespace EventStream.Parsing.Internal;

/// <summary>Where one envelope value sits: in the page buffer, or (if it was JSON-escaped) in a scratch buffer.</summary>
internal struct ValueRef
{
    public int Start;
    public int Length; // -1 = absent
    public bool InScratch;

    public readonly bool IsPresent => Length >= 0;

    public static ValueRef Absent => new() { Length = -1 };

    public readonly ReadOnlySpan<byte> Resolve(ReadOnlySpan<byte> buffer, byte[]? scratch)
        => Length < 0 ? default : InScratch ? scratch.AsSpan(Start, Length) : buffer.Slice(Start, Length);
}

/// <summary>The positions of one event's envelope fields, filled by <see cref="EventScanner"/> without allocating.</summary>
internal struct EventFields
{
    public int EventStart;
    public int EventEnd;
    public ValueRef Id, ExternalId, Email, EventId, EventAction, ClientId, AccountId, BrandId, CustomerId, UserId, Source;
    public ValueRef Ignored; // where members that are not envelope strings point; never read
    public DateTimeOffset EventTime;
    public DateTimeOffset? ReceivedTime;
    public bool HasEventTime;
    public int RawDataStart; // relative to the buffer; -1 when absent
    public int RawDataLength;
    public int PropertiesStart; // rawData.properties when it is an object; relative to the buffer; -1 when absent
    public int PropertiesLength;
    public int TraitsStart; // rawData.traits when it is an object
    public int TraitsLength;
    public int ScratchUsed;
    public UInt128 Key; // EventKey of EventId, once HasKey (computed on demand, so that a header-only read does not hash)
    public bool HasKey;

    public void Reset()
    {
        Id = ExternalId = Email = EventId = EventAction = ClientId = AccountId = BrandId = CustomerId = UserId = Source = ValueRef.Absent;
        EventTime = default;
        ReceivedTime = null;
        HasEventTime = false;
        RawDataStart = -1;
        RawDataLength = 0;
        PropertiesStart = TraitsStart = -1;
        PropertiesLength = TraitsLength = 0;
        ScratchUsed = 0;
        HasKey = false;
    }
}

/// <summary>Scans one event object with <see cref="Utf8JsonReader"/>, recording where its envelope values are.</summary>
internal static class EventScanner
{
    /// <summary>
    /// Reads the event whose <c>{</c> is the reader's current token, leaving the reader on its <c>}</c>.
    /// Allocates nothing unless a value is JSON-escaped (then it is unescaped into <paramref name="scratch"/>).
    /// </summary>
    public static void Scan(ref Utf8JsonReader reader, ref EventFields fields, ref byte[]? scratch, int eventIndex)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            ThrowHelper.EventFormat($"event {eventIndex} is a {reader.TokenType}, not an object", reader.TokenStartIndex);
        }

        fields.Reset();
        fields.EventStart = checked((int)reader.TokenStartIndex);
        while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            ref ValueRef target = ref Match(ref reader, ref fields, out PropertyKind kind);
            Read(ref reader);
            switch (kind)
            {
                case PropertyKind.String:
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        target = Capture(ref reader, ref fields, ref scratch);
                    }
                    else
                    {
                        reader.Skip(); // null or an unexpected type: treated as absent
                    }

                    break;
                case PropertyKind.EventTime:
                    if (reader.TokenType != JsonTokenType.String || !JsonText.TryGetDateTimeOffset(ref reader, out fields.EventTime))
                    {
                        ThrowHelper.EventFormat($"event {eventIndex} has an eventTime that is not an ISO 8601 time", reader.TokenStartIndex);
                    }

                    fields.HasEventTime = true;
                    break;
                case PropertyKind.ReceivedTime:
                    fields.ReceivedTime = reader.TokenType == JsonTokenType.String && JsonText.TryGetDateTimeOffset(ref reader, out DateTimeOffset received)
                        ? received
                        : null;
                    reader.Skip();
                    break;
                case PropertyKind.RawData:
                    int start = checked((int)reader.TokenStartIndex);
                    ScanRawData(ref reader, ref fields);
                    fields.RawDataStart = start;
                    fields.RawDataLength = checked((int)reader.BytesConsumed) - start;
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            ThrowHelper.Format($"event {eventIndex} is not a well-formed object", reader.TokenStartIndex);
        }

        fields.EventEnd = checked((int)reader.BytesConsumed);
        if (!fields.EventId.IsPresent)
        {
            ThrowHelper.EventFormat($"event {eventIndex} has no eventId", fields.EventStart);
        }

        if (!fields.EventAction.IsPresent)
        {
            ThrowHelper.EventFormat($"event {eventIndex} has no eventAction", fields.EventStart);
        }

        if (!fields.HasEventTime)
        {
            ThrowHelper.EventFormat($"event {eventIndex} has no eventTime", fields.EventStart);
        }
    }

    // Walks rawData's top level (the same tokens a Skip would read), noting where properties and traits are, so
    // that a typed decoder can start on them without scanning rawData again.
    private static void ScanRawData(ref Utf8JsonReader reader, ref EventFields fields)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool properties = reader.ValueTextEquals("properties"u8);
            bool traits = !properties && reader.ValueTextEquals("traits"u8);
            Read(ref reader);
            int start = checked((int)reader.TokenStartIndex);
            bool isObject = reader.TokenType == JsonTokenType.StartObject;
            reader.Skip();
            if (isObject && properties)
            {
                fields.PropertiesStart = start;
                fields.PropertiesLength = checked((int)reader.BytesConsumed) - start;
            }
            else if (isObject && traits)
            {
                fields.TraitsStart = start;
                fields.TraitsLength = checked((int)reader.BytesConsumed) - start;
            }
        }
    }

    /// <summary>Reads the next token, turning the reader's own errors into <see cref="EventPageFormatException"/>.</summary>
    public static bool Read(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.Read();
        }
        catch (JsonException ex)
        {
            ThrowHelper.Format("the body is not valid JSON: " + ex.Message, reader.BytesConsumed, ex);
            return false;
        }
    }

    private enum PropertyKind { Other, String, EventTime, ReceivedTime, RawData }

    private static ref ValueRef Match(ref Utf8JsonReader reader, ref EventFields f, out PropertyKind kind)
    {
        kind = PropertyKind.String;
        // Switch on length first: most names are rejected or matched by one comparison.
        switch (reader.ValueIsEscaped ? -1 : reader.ValueSpan.Length)
        {
            case 2 when reader.ValueTextEquals("id"u8): return ref f.Id;
            case 5 when reader.ValueTextEquals("email"u8): return ref f.Email;
            case 6 when reader.ValueTextEquals("userId"u8): return ref f.UserId;
            case 6 when reader.ValueTextEquals("source"u8): return ref f.Source;
            case 7 when reader.ValueTextEquals("eventId"u8): return ref f.EventId;
            case 7 when reader.ValueTextEquals("brandId"u8): return ref f.BrandId;
            case 7 when reader.ValueTextEquals("rawData"u8): kind = PropertyKind.RawData; return ref f.Ignored;
            case 8 when reader.ValueTextEquals("clientId"u8): return ref f.ClientId;
            case 9 when reader.ValueTextEquals("accountId"u8): return ref f.AccountId;
            case 9 when reader.ValueTextEquals("eventTime"u8): kind = PropertyKind.EventTime; return ref f.Ignored;
            case 10 when reader.ValueTextEquals("externalId"u8): return ref f.ExternalId;
            case 10 when reader.ValueTextEquals("customerId"u8): return ref f.CustomerId;
            case 11 when reader.ValueTextEquals("eventAction"u8): return ref f.EventAction;
            case 12 when reader.ValueTextEquals("receivedTime"u8): kind = PropertyKind.ReceivedTime; return ref f.Ignored;
            case -1: return ref MatchEscaped(ref reader, ref f, out kind);
            default: kind = PropertyKind.Other; return ref f.Ignored;
        }
    }

    // Rare: a property name written with escapes (e.g. "event\u0049d"). ValueTextEquals unescapes for us.
    private static ref ValueRef MatchEscaped(ref Utf8JsonReader reader, ref EventFields f, out PropertyKind kind)
    {
        kind = PropertyKind.String;
        if (reader.ValueTextEquals("id"u8)) return ref f.Id;
        if (reader.ValueTextEquals("email"u8)) return ref f.Email;
        if (reader.ValueTextEquals("userId"u8)) return ref f.UserId;
        if (reader.ValueTextEquals("source"u8)) return ref f.Source;
        if (reader.ValueTextEquals("eventId"u8)) return ref f.EventId;
        if (reader.ValueTextEquals("brandId"u8)) return ref f.BrandId;
        if (reader.ValueTextEquals("clientId"u8)) return ref f.ClientId;
        if (reader.ValueTextEquals("accountId"u8)) return ref f.AccountId;
        if (reader.ValueTextEquals("externalId"u8)) return ref f.ExternalId;
        if (reader.ValueTextEquals("customerId"u8)) return ref f.CustomerId;
        if (reader.ValueTextEquals("eventAction"u8)) return ref f.EventAction;
        kind = reader.ValueTextEquals("rawData"u8) ? PropertyKind.RawData
            : reader.ValueTextEquals("eventTime"u8) ? PropertyKind.EventTime
            : reader.ValueTextEquals("receivedTime"u8) ? PropertyKind.ReceivedTime
            : PropertyKind.Other;
        return ref f.Ignored;
    }

    private static ValueRef Capture(ref Utf8JsonReader reader, ref EventFields fields, ref byte[]? scratch)
    {
        if (!reader.ValueIsEscaped)
        {
            return new ValueRef { Start = checked((int)reader.TokenStartIndex) + 1, Length = reader.ValueSpan.Length };
        }

        // Unescaping never lengthens a string, so the escaped length bounds the space needed.
        int needed = fields.ScratchUsed + reader.ValueSpan.Length;
        if (scratch is null || scratch.Length < needed)
        {
            Array.Resize(ref scratch, Math.Max(needed, 256));
        }

        int written = JsonText.CopyString(ref reader, scratch.AsSpan(fields.ScratchUsed));
        var value = new ValueRef { Start = fields.ScratchUsed, Length = written, InScratch = true };
        fields.ScratchUsed += written;
        return value;
    }
}
