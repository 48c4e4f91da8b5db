using System.Text.Json;
using EventStream.Parsing.Internal;

namespace EventStream.Parsing;

/// <summary>
/// One event as the Intilery Events API returned it: the envelope fields, read access to <c>rawData</c>,
/// and the event's own JSON bytes exactly as received. Typed events generated from a tracking plan derive from it.
/// </summary>
public class IntileryEvent
{
    private readonly int _rawDataStart;
    private readonly int _rawDataLength;
    private readonly int _propertiesStart;
    private readonly int _propertiesLength;
    private readonly int _traitsStart;
    private readonly int _traitsLength;

    // Customer ids and email are unique per customer: decoded from Json on first use, so an event nobody asks them of costs no strings.
    private LazyText _id, _externalId, _email, _customerId, _userId;
    private JsonDocument? _rawData;

    internal IntileryEvent(in EventFields fields, ReadOnlySpan<byte> buffer, byte[]? scratch, Utf8StringCache cache)
    {
        Json = buffer[fields.EventStart..fields.EventEnd].ToArray();
        EventId = Unique(fields.EventId, buffer, scratch)!;
        EventAction = Shared(fields.EventAction, buffer, scratch, cache)!;
        EventTime = fields.EventTime;
        ReceivedTime = fields.ReceivedTime;
        _id = LazyText.From(fields.Id, fields.EventStart, buffer, scratch);
        _externalId = LazyText.From(fields.ExternalId, fields.EventStart, buffer, scratch);
        _email = LazyText.From(fields.Email, fields.EventStart, buffer, scratch);
        _customerId = LazyText.From(fields.CustomerId, fields.EventStart, buffer, scratch);
        _userId = LazyText.From(fields.UserId, fields.EventStart, buffer, scratch);
        ClientId = Shared(fields.ClientId, buffer, scratch, cache);
        AccountId = Shared(fields.AccountId, buffer, scratch, cache);
        BrandId = Shared(fields.BrandId, buffer, scratch, cache);
        Source = Shared(fields.Source, buffer, scratch, cache);
        _rawDataStart = fields.RawDataStart < 0 ? -1 : fields.RawDataStart - fields.EventStart;
        _rawDataLength = fields.RawDataLength;
        _propertiesStart = fields.PropertiesStart < 0 ? -1 : fields.PropertiesStart - fields.EventStart;
        _propertiesLength = fields.PropertiesLength;
        _traitsStart = fields.TraitsStart < 0 ? -1 : fields.TraitsStart - fields.EventStart;
        _traitsLength = fields.TraitsLength;
    }

    /// <summary>Copies another event's envelope and JSON; used by typed events that wrap a decoded event.</summary>
    /// <param name="other">The event to copy.</param>
    protected IntileryEvent(IntileryEvent other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Json = other.Json;
        EventId = other.EventId;
        EventAction = other.EventAction;
        EventTime = other.EventTime;
        ReceivedTime = other.ReceivedTime;
        _id = other._id;
        _externalId = other._externalId;
        _email = other._email;
        _customerId = other._customerId;
        _userId = other._userId;
        ClientId = other.ClientId;
        AccountId = other.AccountId;
        BrandId = other.BrandId;
        Source = other.Source;
        IsLate = other.IsLate;
        _rawDataStart = other._rawDataStart;
        _rawDataLength = other._rawDataLength;
        _propertiesStart = other._propertiesStart;
        _propertiesLength = other._propertiesLength;
        _traitsStart = other._traitsStart;
        _traitsLength = other._traitsLength;
    }

    /// <summary>The event's unique id (<c>eventId</c>).</summary>
    public string EventId { get; }

    /// <summary>The event's action key, e.g. <c>email_opened</c> (<c>eventAction</c>).</summary>
    public string EventAction { get; }

    /// <summary>When the event happened (<c>eventTime</c>).</summary>
    public DateTimeOffset EventTime { get; }

    /// <summary>When Intilery received the event (<c>receivedTime</c>), if the API sent it.</summary>
    public DateTimeOffset? ReceivedTime { get; }

    /// <summary>The customer's Intilery id (<c>id</c>).</summary>
    public string? Id => _id.Get(Json);

    /// <summary>The customer's id in the sender's system (<c>externalId</c>).</summary>
    public string? ExternalId => _externalId.Get(Json);

    /// <summary>The customer's email address (<c>email</c>).</summary>
    public string? Email => _email.Get(Json);

    /// <summary>The customer id (<c>customerId</c>).</summary>
    public string? CustomerId => _customerId.Get(Json);

    /// <summary>The user id (<c>userId</c>).</summary>
    public string? UserId => _userId.Get(Json);

    /// <summary>The Intilery client (<c>clientId</c>).</summary>
    public string? ClientId { get; }

    /// <summary>The Intilery account (<c>accountId</c>).</summary>
    public string? AccountId { get; }

    /// <summary>The Intilery brand (<c>brandId</c>).</summary>
    public string? BrandId { get; }

    /// <summary>Where the event came from, e.g. <c>SEGMENT_API</c> (<c>source</c>).</summary>
    public string? Source { get; }

    /// <summary>
    /// <see langword="true"/> when the feed found this event behind its head (it arrived or became visible late),
    /// so it was delivered after events with a later <see cref="EventTime"/>.
    /// </summary>
    public bool IsLate { get; internal set; }

    /// <summary>The event's JSON object exactly as the API sent it (UTF-8).</summary>
    public ReadOnlyMemory<byte> Json { get; }

    /// <summary>The event's <c>rawData</c> object exactly as received (UTF-8), or empty when absent.</summary>
    public ReadOnlyMemory<byte> RawDataJson => _rawDataStart < 0 ? default : Json.Slice(_rawDataStart, _rawDataLength);

    /// <summary>Where <c>rawData.properties</c> is in <see cref="Json"/>, when it is an object; otherwise start -1.</summary>
    internal (int Start, int Length) PropertiesRange => (_propertiesStart, _propertiesLength);

    /// <summary>Where <c>rawData.traits</c> is in <see cref="Json"/>, when it is an object; otherwise start -1.</summary>
    internal (int Start, int Length) TraitsRange => (_traitsStart, _traitsLength);

    /// <summary>The event's <c>rawData</c> object, or an <see cref="JsonValueKind.Undefined"/> element when absent. Parsed on first access.</summary>
    public JsonElement RawData
    {
        get
        {
            if (_rawDataStart < 0)
            {
                return default;
            }

            JsonDocument? document = Volatile.Read(ref _rawData);
            if (document is null)
            {
                document = JsonDocument.Parse(RawDataJson);
                document = Interlocked.CompareExchange(ref _rawData, document, null) ?? document;
            }

            return document.RootElement;
        }
    }

    /// <summary>The event's name as sent, e.g. <c>Email Opened</c> (<c>rawData.event</c>).</summary>
    public string? EventName => Member("event") is { ValueKind: JsonValueKind.String } name ? name.GetString() : null;

    /// <summary>The event's properties (<c>rawData.properties</c>), if any.</summary>
    public JsonElement? Properties => Member("properties");

    /// <summary>The event's context (<c>rawData.context</c>), if any.</summary>
    public JsonElement? Context => Member("context");

    /// <summary>An identify event's traits (<c>rawData.traits</c>), if any.</summary>
    public JsonElement? Traits => Member("traits");

    /// <summary>Reads one event object (as written by <c>tail --format ndjson</c>) from its UTF-8 JSON.</summary>
    /// <param name="json">The event's JSON object.</param>
    /// <returns>The event.</returns>
    /// <exception cref="EventPageFormatException">The JSON is malformed or lacks <c>eventId</c>, <c>eventAction</c> or <c>eventTime</c>.</exception>
    public static IntileryEvent Parse(ReadOnlySpan<byte> json) => Parse(json, null);

    /// <summary>Reads one event object and, when a catalog plans its action, decodes it into its typed class.</summary>
    /// <param name="json">The event's JSON object.</param>
    /// <param name="catalog">The catalog that types planned events, or <see langword="null"/>.</param>
    /// <returns>The event: typed when planned, otherwise untyped.</returns>
    /// <exception cref="EventPageFormatException">The JSON is malformed or lacks <c>eventId</c>, <c>eventAction</c> or <c>eventTime</c>.</exception>
    public static IntileryEvent Parse(ReadOnlySpan<byte> json, Typed.EventCatalog? catalog)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
        var fields = default(EventFields);
        byte[]? scratch = null;
        try
        {
            if (!EventScanner.Read(ref reader))
            {
                ThrowHelper.Format("the event is empty", 0);
            }

            EventScanner.Scan(ref reader, ref fields, ref scratch, 0);
            if (EventScanner.Read(ref reader))
            {
                ThrowHelper.Format("unexpected data after the event", reader.TokenStartIndex);
            }
        }
        catch (JsonException ex)
        {
            ThrowHelper.Format("the event is not valid JSON: " + ex.Message, reader.BytesConsumed, ex);
        }

        var e = new IntileryEvent(fields, json, scratch, Utf8StringCache.ForCurrentThread);
        return catalog is null ? e : catalog.Decode(e, fields.EventAction.Resolve(json, scratch));
    }

    /// <inheritdoc />
    public override string ToString()
        => $"{EventTime.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ} {EventAction} {EventId}";

    private JsonElement? Member(string name)
        => RawData.ValueKind == JsonValueKind.Object && RawData.TryGetProperty(name, out JsonElement value) ? value : null;

    private static string? Unique(ValueRef value, ReadOnlySpan<byte> buffer, byte[]? scratch)
        => value.IsPresent ? System.Text.Encoding.UTF8.GetString(value.Resolve(buffer, scratch)) : null;

    private static string? Shared(ValueRef value, ReadOnlySpan<byte> buffer, byte[]? scratch, Utf8StringCache cache)
        => value.IsPresent ? cache.Get(value.Resolve(buffer, scratch)) : null;

    /// <summary>A string value left in the event's JSON until first read (then kept).</summary>
    private struct LazyText
    {
        private int _start;
        private int _length; // -1: absent, or already decoded into _value
        private string? _value;

        public static LazyText From(ValueRef value, int eventStart, ReadOnlySpan<byte> buffer, byte[]? scratch)
        {
            if (!value.IsPresent)
            {
                return new LazyText { _length = -1 };
            }

            // An escaped value was unescaped into scratch, which does not outlive the read: decode it now.
            return value.InScratch
                ? new LazyText { _length = -1, _value = System.Text.Encoding.UTF8.GetString(value.Resolve(buffer, scratch)) }
                : new LazyText { _start = value.Start - eventStart, _length = value.Length };
        }

        public string? Get(ReadOnlyMemory<byte> json)
            => _value ?? (_length < 0 ? null : _value = System.Text.Encoding.UTF8.GetString(json.Span.Slice(_start, _length)));
    }
}
