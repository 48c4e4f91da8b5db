using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EventStream.Parsing.Internal;
using EventStream.Parsing;

namespace EventStream.Typed;

/// <summary>
/// Reads one event's payload (<c>rawData.properties</c> or <c>rawData.traits</c>) for generated decoders, with
/// <see cref="Utf8JsonReader"/> over the event's bytes, and records every value that breaks the plan instead of throwing.
/// </summary>
/// <remarks>
/// Generated code drives it: <see cref="NextProperty"/> and <see cref="NameIs"/> walk an object, the <c>Read…</c>
/// methods read the current member's value and leave the reader on that value's last token.
/// Each <c>Read…</c> takes the value's path (for violations) and whether <c>null</c> is allowed there.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public ref struct PlanReader
{
    private const int MaxActualLength = 80;
    private readonly IntileryEvent? _source;
    private readonly IntileryEvent.EventState _state;
    private IntileryEvent _event;
    private Utf8JsonReader _json;
    private bool _hasPayload;
    private int _payloadOffset; // where the reader's input starts in the event's JSON
    private List<PlanViolation>? _violations;
    private byte[]? _scratch;

    /// <summary>A reader to type an event already read.</summary>
    internal PlanReader(IntileryEvent untyped)
    {
        _source = untyped;
        _event = untyped;
    }

    /// <summary>A reader to type an event straight from its page (its envelope is read once, for whichever class it becomes).</summary>
    internal PlanReader(in IntileryEvent.EventState state)
    {
        _state = state;
        _event = null!; // attached by the typed event's constructor, before any read
    }

    internal readonly List<PlanViolation>? Violations => _violations;

    internal readonly IntileryEvent? Source => _source;

    internal readonly IntileryEvent.EventState State => _state;

    internal void Attach(IntileryEvent typed) => _event = typed;

    /// <summary>Positions the reader on <c>rawData.properties</c>; when it is absent, <see cref="NextProperty"/> returns <see langword="false"/> at once.</summary>
    /// <returns>Whether the payload is present.</returns>
    public bool MoveToProperties() => MoveToPayload(_event.PropertiesRange, "properties"u8, "properties");

    /// <summary>Positions the reader on <c>rawData.traits</c> (identify events).</summary>
    /// <returns>Whether the payload is present.</returns>
    public bool MoveToTraits() => MoveToPayload(_event.TraitsRange, "traits"u8, "traits");

    /// <summary>Moves to the current object's next member.</summary>
    /// <returns><see langword="true"/> when on a member name; <see langword="false"/> at the object's end.</returns>
    public bool NextProperty()
    {
        if (!_hasPayload)
        {
            return false;
        }

        _json.Read();
        return _json.TokenType == JsonTokenType.PropertyName;
    }

    /// <summary>The current member's name, UTF-8 and unescaped; valid until the reader moves.</summary>
    /// <returns>The name.</returns>
    public ReadOnlySpan<byte> PropertyName() => Unescaped();

    /// <summary>Whether the current member's name is <paramref name="utf8Name"/>.</summary>
    /// <param name="utf8Name">The name, UTF-8.</param>
    /// <returns>Whether it matches (escaped names are compared unescaped).</returns>
    public readonly bool NameIs(ReadOnlySpan<byte> utf8Name) => _json.ValueTextEquals(utf8Name);

    /// <summary>Skips the current member's value.</summary>
    public void Skip()
    {
        MoveToValue();
        _json.Skip();
    }

    /// <summary>Moves to the next item of the current array.</summary>
    /// <returns><see langword="true"/> when on an item; <see langword="false"/> at the array's end.</returns>
    public bool NextItem()
    {
        _json.Read();
        return _json.TokenType != JsonTokenType.EndArray;
    }

    /// <summary>Reads a string.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <returns>The value, or <see langword="null"/> when null or a violation.</returns>
    public string? ReadString(string path, bool allowNull)
        => Start(JsonTokenType.String, path, allowNull, "string") ? JsonText.GetString(ref _json) : null;

    /// <summary>Notes where a string is, to be decoded when first read (see <see cref="PlanText"/>).</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <returns>The value's place, or an absent value when null or a violation.</returns>
    public PlanText ReadText(string path, bool allowNull)
    {
        if (!Start(JsonTokenType.String, path, allowNull, "string"))
        {
            return default;
        }

        int quote = _payloadOffset + checked((int)_json.TokenStartIndex);
        return _json.ValueIsEscaped
            ? new PlanText(quote, _json.ValueSpan.Length + 2, escaped: true)
            : new PlanText(quote + 1, _json.ValueSpan.Length, escaped: false);
    }

    /// <summary>The JSON of the event being read; nested generated classes keep it to decode their <see cref="PlanText"/> values.</summary>
    public readonly ReadOnlyMemory<byte> EventJson => _event.Json;

    /// <summary>Reads an integer (<c>integer</c>).</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <returns>The value, or <see langword="null"/> when null or a violation.</returns>
    public long? ReadInt64(string path, bool allowNull)
    {
        if (!Start(JsonTokenType.Number, path, allowNull, "integer"))
        {
            return null;
        }

        if (_json.TryGetInt64(out long value))
        {
            return value;
        }

        Report(path, PlanViolationKind.OutOfRange, "integer");
        return null;
    }

    /// <summary>Reads a number as a <see cref="double"/>.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <returns>The value, or <see langword="null"/> when null or a violation.</returns>
    public double? ReadDouble(string path, bool allowNull)
    {
        if (!Start(JsonTokenType.Number, path, allowNull, "number"))
        {
            return null;
        }

        if (_json.TryGetDouble(out double value))
        {
            return value;
        }

        Report(path, PlanViolationKind.OutOfRange, "number");
        return null;
    }

    /// <summary>Reads a number as a <see cref="decimal"/> (<c>"format": "decimal"</c>), exactly as written.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <returns>The value, or <see langword="null"/> when null or a violation.</returns>
    public decimal? ReadDecimal(string path, bool allowNull)
    {
        if (!Start(JsonTokenType.Number, path, allowNull, "decimal number"))
        {
            return null;
        }

        if (_json.TryGetDecimal(out decimal value))
        {
            return value;
        }

        Report(path, PlanViolationKind.OutOfRange, "decimal number");
        return null;
    }

    /// <summary>Reads a boolean.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <returns>The value, or <see langword="null"/> when null or a violation.</returns>
    public bool? ReadBoolean(string path, bool allowNull)
    {
        MoveToValue();
        switch (_json.TokenType)
        {
            case JsonTokenType.True:
                return true;
            case JsonTokenType.False:
                return false;
            default:
                Mismatch(path, allowNull, "boolean");
                return null;
        }
    }

    /// <summary>Reads an ISO 8601 date and time (<c>"format": "date-time"</c>).</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <returns>The value, or <see langword="null"/> when null or a violation.</returns>
    public DateTimeOffset? ReadDateTimeOffset(string path, bool allowNull)
    {
        if (!Start(JsonTokenType.String, path, allowNull, "date-time"))
        {
            return null;
        }

        if (JsonText.TryGetDateTimeOffset(ref _json, out DateTimeOffset value))
        {
            return value;
        }

        Report(path, PlanViolationKind.InvalidFormat, "date-time");
        return null;
    }

    /// <summary>Reads a UUID (<c>"format": "uuid"</c>).</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <returns>The value, or <see langword="null"/> when null or a violation.</returns>
    public Guid? ReadGuid(string path, bool allowNull)
    {
        if (!Start(JsonTokenType.String, path, allowNull, "uuid"))
        {
            return null;
        }

        if (JsonText.TryGetGuid(ref _json, out Guid value))
        {
            return value;
        }

        Report(path, PlanViolationKind.InvalidFormat, "uuid");
        return null;
    }

    /// <summary>Reads any value as it came (constructs the plan cannot type); nothing about it can break the plan.</summary>
    /// <returns>The value.</returns>
    public JsonElement ReadRaw()
    {
        MoveToValue();
        return JsonElement.ParseValue(ref _json);
    }

    /// <summary>Reads a string enum's wire value, unescaped, without allocating.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <param name="value">The value's UTF-8 bytes; valid until the reader moves.</param>
    /// <returns>Whether a string was read.</returns>
    public bool ReadEnumText(string path, bool allowNull, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (!Start(JsonTokenType.String, path, allowNull, "string"))
        {
            return false;
        }

        value = Unescaped();
        return true;
    }

    /// <summary>Reports that the current value is not one of the plan's enum values.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="values">The planned values, for the message.</param>
    public void UnknownEnumValue(string path, string values) => Report(path, PlanViolationKind.UnknownEnumValue, "one of " + values);

    /// <summary>Moves into an object value.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <returns><see langword="true"/> when on the object's start (walk it with <see cref="NextProperty"/>).</returns>
    public bool BeginObject(string path, bool allowNull) => Start(JsonTokenType.StartObject, path, allowNull, "object");

    /// <summary>Moves into an array value.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <returns><see langword="true"/> when on the array's start (walk it with <see cref="NextItem"/>).</returns>
    public bool BeginArray(string path, bool allowNull) => Start(JsonTokenType.StartArray, path, allowNull, "array");

    /// <summary>Notes where a string is, as <see cref="ReadText(string, bool)"/>, and checks it against the plan's limits.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <param name="rule">The plan's limits (a violation is reported; the value is kept).</param>
    /// <returns>The value's place, or an absent value when null or of another type.</returns>
    public PlanText ReadText(string path, bool allowNull, PlanRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (!Start(JsonTokenType.String, path, allowNull, "string"))
        {
            return default;
        }

        CheckText(path, rule);
        int quote = _payloadOffset + checked((int)_json.TokenStartIndex);
        return _json.ValueIsEscaped
            ? new PlanText(quote, _json.ValueSpan.Length + 2, escaped: true)
            : new PlanText(quote + 1, _json.ValueSpan.Length, escaped: false);
    }

    /// <summary>Reads a string and checks it against the plan's limits.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <param name="rule">The plan's limits (a violation is reported; the value is kept).</param>
    /// <returns>The value, or <see langword="null"/> when null or of another type.</returns>
    public string? ReadString(string path, bool allowNull, PlanRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        if (!Start(JsonTokenType.String, path, allowNull, "string"))
        {
            return null;
        }

        CheckText(path, rule);
        return JsonText.GetString(ref _json);
    }

    /// <summary>Reads an integer and checks it against the plan's <c>minimum</c>/<c>maximum</c>.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <param name="rule">The plan's limits (a violation is reported; the value is kept).</param>
    /// <returns>The value, or <see langword="null"/> when null or not an integer.</returns>
    public long? ReadInt64(string path, bool allowNull, PlanRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        long? value = ReadInt64(path, allowNull);
        if (value is { } v && rule.CheckNumber(v) is { } expected)
        {
            Report(path, PlanViolationKind.OutOfRange, expected);
        }

        return value;
    }

    /// <summary>Reads a number as a <see cref="double"/> and checks it against the plan's <c>minimum</c>/<c>maximum</c>.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <param name="rule">The plan's limits (a violation is reported; the value is kept).</param>
    /// <returns>The value, or <see langword="null"/> when null or not a number.</returns>
    public double? ReadDouble(string path, bool allowNull, PlanRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        double? value = ReadDouble(path, allowNull);
        if (value is { } v && rule.CheckNumber(v) is { } expected)
        {
            Report(path, PlanViolationKind.OutOfRange, expected);
        }

        return value;
    }

    /// <summary>Reads a number as a <see cref="decimal"/> and checks it against the plan's <c>minimum</c>/<c>maximum</c>.</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <param name="rule">The plan's limits (a violation is reported; the value is kept).</param>
    /// <returns>The value, or <see langword="null"/> when null or not a number.</returns>
    public decimal? ReadDecimal(string path, bool allowNull, PlanRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        decimal? value = ReadDecimal(path, allowNull);
        if (value is { } v && rule.CheckNumber((double)v) is { } expected)
        {
            Report(path, PlanViolationKind.OutOfRange, expected);
        }

        return value;
    }

    /// <summary>Reads any value as it came and checks it is one of the plan's values (an <c>enum</c> of mixed types).</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="rule">The plan's allowed values.</param>
    /// <returns>The value.</returns>
    public JsonElement ReadRaw(string path, PlanRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        JsonElement value = ReadRaw();
        if (!rule.Allows(value))
        {
            string raw = value.GetRawText();
            Add(new PlanViolation(_event.EventId, _event.EventAction, path, PlanViolationKind.UnknownEnumValue, rule.AllowedText(), Shorten(raw)));
        }

        return value;
    }

    /// <summary>Reads a calendar date (<c>"format": "date"</c>, RFC 3339 <c>full-date</c>: <c>2024-05-14</c>).</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <returns>The value, or <see langword="null"/> when null or a violation.</returns>
    public DateOnly? ReadDate(string path, bool allowNull)
    {
        if (!Start(JsonTokenType.String, path, allowNull, "date"))
        {
            return null;
        }

        ReadOnlySpan<byte> text = Unescaped();
        Span<char> chars = stackalloc char[10];
        if (text.Length == 10 && Encoding.UTF8.TryGetChars(text, chars, out int count) && count == 10
            && DateOnly.TryParseExact(chars, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out DateOnly value))
        {
            return value;
        }

        Report(path, PlanViolationKind.InvalidFormat, "date");
        return null;
    }

    /// <summary>Reads an absolute URI (<c>"format": "uri"</c>: a scheme, then the rest, as RFC 3986 requires).</summary>
    /// <param name="path">The value's path.</param>
    /// <param name="allowNull">Whether <c>null</c> is allowed.</param>
    /// <returns>The value, or <see langword="null"/> when null or a violation.</returns>
    public Uri? ReadUri(string path, bool allowNull)
    {
        if (!Start(JsonTokenType.String, path, allowNull, "uri"))
        {
            return null;
        }

        string text = JsonText.GetString(ref _json);
        if (HasScheme(text) && Uri.TryCreate(text, UriKind.Absolute, out Uri? value))
        {
            return value;
        }

        Report(path, PlanViolationKind.InvalidFormat, "uri");
        return null;
    }

    /// <summary>
    /// Reports the current member as one the plan does not allow (<c>additionalProperties: false</c>) and skips its value.
    /// </summary>
    /// <param name="path">The path of the object the member is in.</param>
    public void Unplanned(string path)
    {
        string name = Encoding.UTF8.GetString(Unescaped());
        MoveToValue();
        Report(path + "." + name, PlanViolationKind.UnplannedProperty, "no member " + name);
        _json.Skip();
    }

    /// <summary>
    /// On a union's object, finds the discriminator member wherever it is and leaves the reader where it was. When it is
    /// absent or not a string, reports that and skips the object.
    /// </summary>
    /// <param name="utf8Name">The discriminator's name, UTF-8.</param>
    /// <param name="path">The discriminator's path.</param>
    /// <param name="value">Its value, UTF-8 and unescaped; valid until the reader moves.</param>
    /// <returns>Whether a string discriminator was found (then read the object with the case it names).</returns>
    public bool ReadDiscriminator(ReadOnlySpan<byte> utf8Name, string path, out ReadOnlySpan<byte> value)
    {
        value = default;
        Utf8JsonReader start = _json;
        bool found = false;
        bool isString = false;
        while (_json.Read() && _json.TokenType == JsonTokenType.PropertyName)
        {
            bool match = _json.ValueTextEquals(utf8Name);
            _json.Read();
            if (match)
            {
                found = true;
                isString = _json.TokenType == JsonTokenType.String;
                if (isString)
                {
                    value = Unescaped();
                }
                else
                {
                    Report(path, PlanViolationKind.WrongType, "string");
                }

                break;
            }

            _json.Skip();
        }

        _json = start;
        if (!found)
        {
            MissingRequired(path);
        }

        if (!isString)
        {
            _json.Skip();
        }

        return isString;
    }

    /// <summary>Reports a union discriminator that names none of its cases, and skips the object.</summary>
    /// <param name="path">The discriminator's path.</param>
    /// <param name="value">The discriminator's value, UTF-8.</param>
    /// <param name="values">The cases' values, for the message.</param>
    public void UnknownUnionCase(string path, ReadOnlySpan<byte> value, string values)
    {
        Add(new PlanViolation(_event.EventId, _event.EventAction, path, PlanViolationKind.UnknownEnumValue, "one of " + values, Shorten("\"" + Encoding.UTF8.GetString(value) + "\" (a string)")));
        _json.Skip();
    }

    /// <summary>Reports a required property that is absent.</summary>
    /// <param name="path">The property's path.</param>
    public void MissingRequired(string path)
        => Add(new PlanViolation(_event.EventId, _event.EventAction, path, PlanViolationKind.MissingRequired, "present", null));

    private bool MoveToPayload((int Start, int Length) range, ReadOnlySpan<byte> name, string path)
    {
        _hasPayload = false;
        (int start, int length) = range;
        if (start >= 0)
        {
            _payloadOffset = start;
            _json = new Utf8JsonReader(_event.Json.Span.Slice(start, length), JsonLimits.Reader);
            _json.Read(); // the payload's '{'
            _hasPayload = true;
            return true;
        }

        // Absent, null, or not an object: only the last is a violation (rare, so rawData is scanned again to find it).
        ReadOnlyMemory<byte> rawData = _event.RawDataJson;
        if (rawData.IsEmpty)
        {
            return false;
        }

        _json = new Utf8JsonReader(rawData.Span, JsonLimits.Reader);
        if (_json.Read() && _json.TokenType == JsonTokenType.StartObject)
        {
            while (_json.Read() && _json.TokenType == JsonTokenType.PropertyName)
            {
                bool match = _json.ValueTextEquals(name);
                _json.Read();
                if (match)
                {
                    if (_json.TokenType != JsonTokenType.Null)
                    {
                        Report(path, PlanViolationKind.WrongType, "object");
                    }

                    break;
                }

                _json.Skip();
            }
        }

        return false;
    }

    // The current token's text, unescaped: the input itself when it has no escapes, else a copy in scratch.
    private ReadOnlySpan<byte> Unescaped()
    {
        if (!_json.ValueIsEscaped)
        {
            return _json.ValueSpan;
        }

        int length = _json.ValueSpan.Length;
        if (_scratch is null || _scratch.Length < length)
        {
            _scratch = new byte[Math.Max(length, 64)];
        }

        return _scratch.AsSpan(0, JsonText.CopyString(ref _json, _scratch));
    }

    private static string StringValue(Utf8JsonReader reader) => JsonText.GetString(ref reader);

    private static string Shorten(string text) => text.Length <= MaxActualLength ? text : string.Concat(text.AsSpan(0, MaxActualLength), "…");

    // RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":". Uri alone would take "/path" as a file URI on Unix.
    internal static bool HasScheme(string text)
    {
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !char.IsAsciiLetter(text[0]))
        {
            return false;
        }

        for (int i = 1; i < colon; i++)
        {
            if (!(char.IsAsciiLetterOrDigit(text[i]) || text[i] is '+' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    private void CheckText(string path, PlanRule rule)
    {
        if (rule.CheckText(Unescaped()) is { } broken)
        {
            Report(path, broken.Kind, broken.Expected);
        }
    }

    private void MoveToValue()
    {
        if (_json.TokenType == JsonTokenType.PropertyName)
        {
            _json.Read();
        }
    }

    // Moves to the value; true when it has the wanted token type, else reports (unless an allowed null) and skips it.
    private bool Start(JsonTokenType wanted, string path, bool allowNull, string expected)
    {
        MoveToValue();
        if (_json.TokenType == wanted)
        {
            return true;
        }

        Mismatch(path, allowNull, expected);
        return false;
    }

    private void Mismatch(string path, bool allowNull, string expected)
    {
        if (_json.TokenType != JsonTokenType.Null || !allowNull)
        {
            Report(path, PlanViolationKind.WrongType, expected);
        }

        _json.Skip();
    }

    private void Report(string path, PlanViolationKind kind, string expected)
        => Add(new PlanViolation(_event.EventId, _event.EventAction, path, kind, expected, Actual()));

    private readonly string Actual()
    {
        string text = _json.TokenType switch
        {
            JsonTokenType.StartObject => "an object",
            JsonTokenType.StartArray => "an array",
            JsonTokenType.Null => "null",
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            JsonTokenType.String => "\"" + StringValue(_json) + "\" (a string)",
            _ => Encoding.UTF8.GetString(_json.ValueSpan) + " (a number)",
        };
        return Shorten(text);
    }

    private void Add(PlanViolation violation) => (_violations ??= []).Add(violation);
}
