using System.Text.Json;
using EventStream.Parsing.Internal;

namespace EventStream.Parsing;

/// <summary>
/// One event as the Intilery Events API returned it: the envelope fields, read access to <c>rawData</c>,
/// and the event's own JSON bytes exactly as received. Typed events generated from a tracking plan derive from it.
/// </summary>
public class IntileryEvent
{
    private EventState _s;
    private JsonDocument? _rawData;

    internal IntileryEvent(in EventFields fields, ReadOnlySpan<byte> buffer, ReadOnlyMemory<byte> json, byte[]? scratch, Utf8StringCache cache)
        => _s = EventState.From(fields, buffer, json, scratch, cache);

    internal IntileryEvent(in EventState state) => _s = state;

    /// <summary>Copies another event's envelope and JSON (no bytes are copied).</summary>
    /// <param name="other">The event to copy.</param>
    protected IntileryEvent(IntileryEvent other)
    {
        ArgumentNullException.ThrowIfNull(other);
        _s = other._s;
        IsLate = other.IsLate;
    }

    /// <summary>Builds the envelope of a typed event straight from what the reader is on: the page, or an untyped event.</summary>
    internal IntileryEvent(ref Typed.PlanReader reader)
    {
        if (reader.Source is { } other)
        {
            _s = other._s;
            IsLate = other.IsLate;
        }
        else
        {
            _s = reader.State;
        }

        reader.Attach(this);
    }

    /// <summary>The event's unique id (<c>eventId</c>).</summary>
    public string EventId => _s.EventId;

    /// <summary>The event id as a 128-bit key (<see cref="Internal.EventKey"/>), read once from the page, for dedupe.</summary>
    internal UInt128 Key => _s.Key;

    /// <summary>The event's action key, e.g. <c>email_opened</c> (<c>eventAction</c>).</summary>
    public string EventAction => _s.EventAction;

    /// <summary>When the event happened (<c>eventTime</c>).</summary>
    public DateTimeOffset EventTime => _s.EventTime;

    /// <summary>When Intilery received the event (<c>receivedTime</c>), if the API sent it.</summary>
    public DateTimeOffset? ReceivedTime => _s.ReceivedTime;

    /// <summary>The customer's Intilery id (<c>id</c>).</summary>
    public string? Id => _s.Id.Get(_s.Json);

    /// <summary>The customer's id in the sender's system (<c>externalId</c>).</summary>
    public string? ExternalId => _s.ExternalId.Get(_s.Json);

    /// <summary>The customer's email address (<c>email</c>).</summary>
    public string? Email => _s.Email.Get(_s.Json);

    /// <summary>The customer id (<c>customerId</c>).</summary>
    public string? CustomerId => _s.CustomerId.Get(_s.Json);

    /// <summary>The user id (<c>userId</c>).</summary>
    public string? UserId => _s.UserId.Get(_s.Json);

    /// <summary>The Intilery client (<c>clientId</c>).</summary>
    public string? ClientId => _s.ClientId;

    /// <summary>The Intilery account (<c>accountId</c>).</summary>
    public string? AccountId => _s.AccountId;

    /// <summary>The Intilery brand (<c>brandId</c>).</summary>
    public string? BrandId => _s.BrandId;

    /// <summary>Where the event came from, e.g. <c>SEGMENT_API</c> (<c>source</c>).</summary>
    public string? Source => _s.Source;

    /// <summary>
    /// <see langword="true"/> when the feed found this event behind its head (it arrived or became visible late),
    /// so it was delivered after events with a later <see cref="EventTime"/>.
    /// </summary>
    public bool IsLate { get; internal set; }

    /// <summary>The event's JSON object exactly as the API sent it (UTF-8).</summary>
    public ReadOnlyMemory<byte> Json => _s.Json;

    /// <summary>The event's <c>rawData</c> object exactly as received (UTF-8), or empty when absent.</summary>
    public ReadOnlyMemory<byte> RawDataJson => _s.RawDataStart < 0 ? default : _s.Json.Slice(_s.RawDataStart, _s.RawDataLength);

    /// <summary>Where <c>rawData.properties</c> is in <see cref="Json"/>, when it is an object; otherwise start -1.</summary>
    internal (int Start, int Length) PropertiesRange => (_s.PropertiesStart, _s.PropertiesLength);

    /// <summary>Where <c>rawData.traits</c> is in <see cref="Json"/>, when it is an object; otherwise start -1.</summary>
    internal (int Start, int Length) TraitsRange => (_s.TraitsStart, _s.TraitsLength);

    /// <summary>The event's <c>rawData</c> object, or an <see cref="JsonValueKind.Undefined"/> element when absent. Parsed on first access.</summary>
    public JsonElement RawData
    {
        get
        {
            if (_s.RawDataStart < 0)
            {
                return default;
            }

            JsonDocument? document = Volatile.Read(ref _rawData);
            if (document is null)
            {
                document = JsonDocument.Parse(RawDataJson, JsonLimits.Document);
                document = Interlocked.CompareExchange(ref _rawData, document, null) ?? document;
            }

            return document.RootElement;
        }
    }

    /// <summary>The event's name as sent, e.g. <c>Email Opened</c> (<c>rawData.event</c>).</summary>
    public string? EventName => Member("event") is { ValueKind: JsonValueKind.String } name ? JsonText.GetString(name) : null;

    /// <summary>The event's properties (<c>rawData.properties</c>), if any.</summary>
    public JsonElement? Properties => Member("properties");

    /// <summary>The event's context (<c>rawData.context</c>), if any.</summary>
    public JsonElement? Context => Member("context");

    /// <summary>An identify event's traits (<c>rawData.traits</c>), if any.</summary>
    public JsonElement? Traits => Member("traits");

    /// <summary>
    /// Returns this event with JSON of its own. An event read from a page is a view into the page's bytes (no copy is
    /// made per event), so keeping it keeps the whole page (~100 KB for 100 events) alive. Keeping most of a page's
    /// events for a while costs nothing extra; keeping a few of each page for a long time (a consumer that keeps 1 event
    /// in 100 for an hour) is where this copy pays: it keeps ~1 KB per event instead of its page.
    /// </summary>
    /// <returns>
    /// An event of the same class with the same values and its own copy of <see cref="Json"/>; this event itself when it
    /// already owns exactly its bytes (e.g. one returned by <see cref="Detach"/> or <see cref="Parse(ReadOnlySpan{byte})"/>).
    /// </returns>
    public IntileryEvent Detach()
    {
        if (System.Runtime.InteropServices.MemoryMarshal.TryGetArray(_s.Json, out ArraySegment<byte> segment)
            && segment.Offset == 0 && segment.Count == segment.Array!.Length)
        {
            return this;
        }

        EventState state = _s;
        state.Json = _s.Json.ToArray();
        var own = new IntileryEvent(state) { IsLate = IsLate };
        return this is Typed.PlannedEvent planned ? Typed.EventCatalog.Redecode(planned, own) : own;
    }

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
        var reader = new Utf8JsonReader(json, JsonLimits.Reader);
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

        byte[] own = json.ToArray();
        return catalog is null
            ? new IntileryEvent(fields, json, own, scratch, Utf8StringCache.ForCurrentThread)
            : catalog.Materialize(fields, json, own, scratch, Utf8StringCache.ForCurrentThread);
    }

    /// <inheritdoc />
    public override string ToString()
        => $"{EventTime.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ} {EventAction} {EventId}";

    private JsonElement? Member(string name)
        => RawData.ValueKind == JsonValueKind.Object && RawData.TryGetProperty(name, out JsonElement value) ? value : null;

    /// <summary>Everything an event holds, in one value, so that typed events take it over in one assignment.</summary>
    internal struct EventState
    {
        public ReadOnlyMemory<byte> Json;
        public string EventId;
        public UInt128 Key;
        public string EventAction;
        public DateTimeOffset EventTime;
        public DateTimeOffset? ReceivedTime;
        public string? ClientId, AccountId, BrandId, Source;

        // Customer ids and email are unique per customer: decoded from Json on first use, so an event nobody asks them of costs no strings.
        public Typed.PlanText Id, ExternalId, Email, CustomerId, UserId;
        public int RawDataStart, RawDataLength, PropertiesStart, PropertiesLength, TraitsStart, TraitsLength; // in Json; start -1 when absent

        /// <param name="fields">What the scan found, as offsets into <paramref name="buffer"/>.</param>
        /// <param name="buffer">The bytes scanned (the page, or one event).</param>
        /// <param name="json">The event's own bytes (<paramref name="buffer"/>[EventStart..EventEnd]) in memory the event may keep: a slice of the page or a copy.</param>
        /// <param name="scratch">Where escaped values were unescaped.</param>
        /// <param name="cache">Shares repeated strings.</param>
        public static EventState From(in EventFields fields, ReadOnlySpan<byte> buffer, ReadOnlyMemory<byte> json, byte[]? scratch, Utf8StringCache cache)
        {
            int at = fields.EventStart;
            ReadOnlySpan<byte> id = fields.EventId.Resolve(buffer, scratch);
            return new EventState
            {
                Json = json,
                EventId = System.Text.Encoding.UTF8.GetString(id),
                Key = fields.HasKey ? fields.Key : EventKey.Of(id),
                EventAction = cache.Get(fields.EventAction.Resolve(buffer, scratch)),
                EventTime = fields.EventTime,
                ReceivedTime = fields.ReceivedTime,
                ClientId = Shared(fields.ClientId, buffer, scratch, cache),
                AccountId = Shared(fields.AccountId, buffer, scratch, cache),
                BrandId = Shared(fields.BrandId, buffer, scratch, cache),
                Source = Shared(fields.Source, buffer, scratch, cache),
                Id = Lazy(fields.Id, at, buffer, scratch),
                ExternalId = Lazy(fields.ExternalId, at, buffer, scratch),
                Email = Lazy(fields.Email, at, buffer, scratch),
                CustomerId = Lazy(fields.CustomerId, at, buffer, scratch),
                UserId = Lazy(fields.UserId, at, buffer, scratch),
                RawDataStart = fields.RawDataStart < 0 ? -1 : fields.RawDataStart - at,
                RawDataLength = fields.RawDataLength,
                PropertiesStart = fields.PropertiesStart < 0 ? -1 : fields.PropertiesStart - at,
                PropertiesLength = fields.PropertiesLength,
                TraitsStart = fields.TraitsStart < 0 ? -1 : fields.TraitsStart - at,
                TraitsLength = fields.TraitsLength,
            };
        }

        private static string? Shared(ValueRef value, ReadOnlySpan<byte> buffer, byte[]? scratch, Utf8StringCache cache)
            => value.IsPresent ? cache.Get(value.Resolve(buffer, scratch)) : null;

        // An escaped value was unescaped into scratch, which does not outlive the scan: it is decoded now.
        private static Typed.PlanText Lazy(ValueRef value, int eventStart, ReadOnlySpan<byte> buffer, byte[]? scratch)
            => !value.IsPresent ? default
                : value.InScratch ? new Typed.PlanText(System.Text.Encoding.UTF8.GetString(value.Resolve(buffer, scratch)))
                : new Typed.PlanText(value.Start - eventStart, value.Length, escaped: false);
    }
}
