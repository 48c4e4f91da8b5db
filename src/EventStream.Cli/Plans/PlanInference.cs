using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStream.Typed;

namespace EventStream.Cli.Plans;

/// <summary>
/// Infers a tracking plan from events: per action, each payload property's JSON types, string formats, enums, nested
/// objects and arrays, what is always present and what can be null. Each event is read once with a
/// <see cref="Utf8JsonReader"/> into running counts (no DOM, nothing kept per event), so memory is bounded by the plan's
/// size, not the traffic's. The plan it writes is sorted, so the same events give the same bytes.
/// </summary>
/// <remarks>
/// Thresholds (README "plan infer"): a property is <c>required</c> when present (null counts as present) in every object
/// that could hold it; a string becomes an <c>enum</c> when at least <see cref="MinEnumStrings"/> strings were seen with at
/// most <see cref="MaxEnumValues"/> distinct values, each at least <see cref="MinEnumValueCount"/> times, and no format
/// fits; a format (<c>date-time</c>, <c>date</c>, <c>uuid</c>, <c>email</c>, <c>uri</c>) when every string fits it, checked
/// as the generated decoders check it. Integers and fractions together make <c>number</c>.
/// </remarks>
internal sealed class PlanInference
{
    public const int MaxEnumValues = 10;
    public const int MinEnumValueCount = 3;
    public const int MinEnumStrings = 20;
    private const int MaxEnumValueLength = 64;

    private readonly List<ActionStats> _actions = [];
    private byte[] _scratch = new byte[256];

    /// <summary>Events read.</summary>
    public long Events { get; private set; }

    /// <summary>Lines that were not an event (not JSON, or no <c>eventAction</c>).</summary>
    public long Skipped { get; private set; }

    public int Actions => _actions.Count;

    /// <summary>Properties planned over all actions (nested ones included).</summary>
    public int Properties => _actions.Sum(a => a.Payload.CountProperties());

    /// <summary>Reads one event's JSON (a line of <c>tail --format ndjson</c>).</summary>
    public void Add(ReadOnlySpan<byte> json)
    {
        try
        {
            if (!AddEvent(json))
            {
                Skipped++;
            }
        }
        catch (JsonException)
        {
            Skipped++;
        }
    }

    private bool AddEvent(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        ActionStats? action = null;
        Utf8JsonReader rawData = default;
        bool hasRawData = false;
        bool readRawData = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("eventAction"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return false;
                }

                action = Action(Unescaped(ref reader));
            }
            else if (reader.ValueTextEquals("rawData"u8))
            {
                reader.Read();
                if (action is not null && reader.TokenType == JsonTokenType.StartObject)
                {
                    // The API sends eventAction first: read rawData in this one pass.
                    ReadRawData(ref reader, action);
                    readRawData = true;
                }
                else
                {
                    rawData = reader;
                    hasRawData = reader.TokenType == JsonTokenType.StartObject;
                    reader.Skip();
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (action is null)
        {
            return false;
        }

        Events++;
        action.Events++;
        if (hasRawData && !readRawData)
        {
            ReadRawData(ref rawData, action);
        }

        return true;
    }

    private void ReadRawData(ref Utf8JsonReader reader, ActionStats action)
    {
        bool payload = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool properties = reader.ValueTextEquals("properties"u8);
            bool traits = !properties && reader.ValueTextEquals("traits"u8);
            bool name = !properties && !traits && reader.ValueTextEquals("event"u8);
            reader.Read();
            if ((properties || traits) && reader.TokenType == JsonTokenType.StartObject && !payload)
            {
                payload = true;
                if (traits)
                {
                    action.TraitEvents++;
                }

                action.Payload.Read(ref reader, this);
            }
            else if (name && reader.TokenType == JsonTokenType.String && action.Events <= 100 && action.Names.Count < 4)
            {
                string display = Encoding.UTF8.GetString(Unescaped(ref reader));
                action.Names[display] = action.Names.GetValueOrDefault(display) + 1;
            }
            else
            {
                reader.Skip();
            }
        }
    }

    private ActionStats Action(ReadOnlySpan<byte> name)
    {
        foreach (ActionStats a in _actions)
        {
            if (name.SequenceEqual(a.Utf8))
            {
                return a;
            }
        }

        var added = new ActionStats(name.ToArray());
        _actions.Add(added);
        return added;
    }

    internal ReadOnlySpan<byte> Unescaped(ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            return reader.ValueSpan;
        }

        if (_scratch.Length < reader.ValueSpan.Length)
        {
            _scratch = new byte[reader.ValueSpan.Length * 2];
        }

        return _scratch.AsSpan(0, reader.CopyString(_scratch));
    }

    /// <summary>The plan in our format (<c>data/tracking-plan.json</c>'s): <c>{"events":[…]}</c>, by action.</summary>
    public JsonObject ToIntileryPlan()
    {
        var events = new JsonArray();
        foreach (ActionStats a in _actions.OrderBy(a => a.Action, StringComparer.Ordinal))
        {
            var e = new JsonObject
            {
                ["action"] = a.Action,
                ["name"] = a.DisplayName,
            };
            if (a.IsIdentify)
            {
                e["category"] = "identify";
            }

            e["description"] = $"Inferred from {a.Events.ToString(CultureInfo.InvariantCulture)} events";
            e["properties"] = a.Payload.ToObjectSchema(a.Events);
            events.Add((JsonNode)e); // JsonArray.Add(JsonNode): its generic Add<T> is neither trim- nor AOT-safe
        }

        return new JsonObject
        {
            ["$comment"] = $"Inferred by eventstream plan infer from {Events.ToString(CultureInfo.InvariantCulture)} events.",
            ["events"] = events,
        };
    }

    /// <summary>The plan as plain JSON Schema, a file per action (<c>{action}.json</c>), for <c>[TrackingPlan("dir")]</c>.</summary>
    public SortedDictionary<string, JsonObject> ToJsonSchemaFiles()
    {
        var files = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (ActionStats a in _actions)
        {
            var schema = new JsonObject
            {
                ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                ["title"] = a.DisplayName,
                ["description"] = $"Inferred from {a.Events.ToString(CultureInfo.InvariantCulture)} events",
                ["x-intilery-action"] = a.Action,
            };
            if (a.IsIdentify)
            {
                schema["x-intilery-category"] = "identify";
            }

            foreach ((string key, JsonNode? value) in a.Payload.ToObjectSchema(a.Events))
            {
                schema[key] = value?.DeepClone();
            }

            files[a.Action + ".json"] = schema;
        }

        return files;
    }

    private sealed class ActionStats(byte[] utf8)
    {
        public byte[] Utf8 { get; } = utf8;

        public string Action { get; } = Encoding.UTF8.GetString(utf8);

        public long Events { get; set; }

        public long TraitEvents { get; set; }

        public Node Payload { get; } = new();

        public Dictionary<string, long> Names { get; } = new(StringComparer.Ordinal);

        public long PayloadObjects => Payload.Objects;

        // Identify events carry rawData.traits; the generator reads traits for the identify category.
        public bool IsIdentify => TraitEvents * 2 > Events;

        // The display name the events gave most (rawData.event), when its snake_case is the action; else the action.
        public string DisplayName
            => Names.OrderByDescending(n => n.Value).ThenBy(n => n.Key, StringComparer.Ordinal)
                .Select(n => n.Key).FirstOrDefault(n => SnakeCase(n) == Action) ?? Action;
    }

    private static string SnakeCase(string name)
    {
        var builder = new StringBuilder();
        char previous = ' ';
        foreach (char c in name)
        {
            if (char.IsLetterOrDigit(c))
            {
                if (builder.Length > 0 && (!char.IsLetterOrDigit(previous) || (char.IsUpper(c) && char.IsLower(previous))))
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }

            previous = c;
        }

        return builder.ToString();
    }

    /// <summary>What was seen at one place in the payload: counts by JSON type, string formats and values, members, items.</summary>
    private sealed class Node
    {
        private readonly List<(byte[] Name, Node Node)> _members = [];
        private Dictionary<string, long>? _values = new(StringComparer.Ordinal);
        private Node? _item;
        private bool _dateTime = true;
        private bool _date = true;
        private bool _uuid = true;
        private bool _email = true;
        private bool _uri = true;

        public long Present { get; private set; }

        public long Nulls { get; private set; }

        public long Strings { get; private set; }

        public long Integers { get; private set; }

        public long Fractions { get; private set; }

        public long Booleans { get; private set; }

        public long Objects { get; private set; }

        public long Arrays { get; private set; }

        public int CountProperties() => _members.Sum(m => 1 + m.Node.CountProperties()) + (_item?.CountProperties() ?? 0);

        /// <summary>Counts the value the reader is on (and, for an object or array, everything in it).</summary>
        public void Read(ref Utf8JsonReader reader, PlanInference owner)
        {
            Present++;
            switch (reader.TokenType)
            {
                case JsonTokenType.Null:
                    Nulls++;
                    break;
                case JsonTokenType.True:
                case JsonTokenType.False:
                    Booleans++;
                    break;
                case JsonTokenType.Number:
                    if (reader.TryGetInt64(out _))
                    {
                        Integers++;
                    }
                    else
                    {
                        Fractions++;
                    }

                    break;
                case JsonTokenType.String:
                    ReadString(ref reader, owner);
                    break;
                case JsonTokenType.StartObject:
                    Objects++;
                    ReadMembers(ref reader, owner);
                    break;
                case JsonTokenType.StartArray:
                    Arrays++;
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        (_item ??= new Node()).Read(ref reader, owner);
                    }

                    break;
            }
        }

        private void ReadMembers(ref Utf8JsonReader reader, PlanInference owner)
        {
            int next = 0; // members usually come in the same order: try the one after the last first
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                Node? member = null;
                if (next < _members.Count && reader.ValueTextEquals(_members[next].Name))
                {
                    member = _members[next].Node;
                    next++;
                }
                else
                {
                    for (int i = 0; i < _members.Count; i++)
                    {
                        if (reader.ValueTextEquals(_members[i].Name))
                        {
                            member = _members[i].Node;
                            next = i + 1;
                            break;
                        }
                    }

                    if (member is null)
                    {
                        member = new Node();
                        _members.Add((owner.Unescaped(ref reader).ToArray(), member));
                        next = _members.Count;
                    }
                }

                reader.Read();
                member.Read(ref reader, owner);
            }
        }

        private void ReadString(ref Utf8JsonReader reader, PlanInference owner)
        {
            Strings++;
            ReadOnlySpan<byte> text = owner.Unescaped(ref reader);
            if (_date)
            {
                _date = IsDate(text);
            }

            if (_dateTime)
            {
                _dateTime = text.Length > 10 && text[10] == (byte)'T' && reader.TryGetDateTimeOffset(out _);
            }

            if (_uuid)
            {
                _uuid = text.Length == 36 && reader.TryGetGuid(out _);
            }

            if (_email)
            {
                _email = PlanRule.IsEmail(text);
            }

            if (_uri)
            {
                string s = Encoding.UTF8.GetString(text);
                _uri = PlanReader.HasScheme(s) && Uri.TryCreate(s, UriKind.Absolute, out _);
            }

            if (_values is not null)
            {
                if (text.Length > MaxEnumValueLength)
                {
                    _values = null;
                    return;
                }

                Span<char> chars = stackalloc char[MaxEnumValueLength];
                int count = Encoding.UTF8.GetChars(text, chars);
                Dictionary<string, long>.AlternateLookup<ReadOnlySpan<char>> lookup = _values.GetAlternateLookup<ReadOnlySpan<char>>();
                if (lookup.TryGetValue(chars[..count], out long seen))
                {
                    lookup[chars[..count]] = seen + 1;
                }
                else if (_values.Count < MaxEnumValues)
                {
                    lookup[chars[..count]] = 1;
                }
                else
                {
                    _values = null;
                }
            }
        }

        private static bool IsDate(ReadOnlySpan<byte> text)
        {
            if (text.Length != 10 || text[4] != (byte)'-' || text[7] != (byte)'-')
            {
                return false;
            }

            Span<char> chars = stackalloc char[10];
            return Encoding.UTF8.TryGetChars(text, chars, out int count) && count == 10
                && DateOnly.TryParseExact(chars, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
        }

        /// <summary>The schema of an object node: its members (sorted), and those in every one of its objects as required.</summary>
        public JsonObject ToObjectSchema(long objects)
        {
            var properties = new JsonObject();
            var required = new JsonArray();
            foreach ((byte[] name, Node node) in _members.OrderBy(m => m.Name, ByteComparer.Instance))
            {
                string key = Encoding.UTF8.GetString(name);
                properties[key] = node.ToSchema();
                if (node.Present >= objects && objects > 0)
                {
                    required.Add((JsonNode)key);
                }
            }

            var schema = new JsonObject { ["type"] = "object" };
            if (required.Count > 0)
            {
                schema["required"] = required;
            }

            schema["properties"] = properties;
            return schema;
        }

        public JsonObject ToSchema()
        {
            var types = new List<string>();
            if (Strings > 0)
            {
                types.Add("string");
            }

            if (Fractions > 0)
            {
                types.Add("number");
            }
            else if (Integers > 0)
            {
                types.Add("integer");
            }

            if (Booleans > 0)
            {
                types.Add("boolean");
            }

            if (Objects > 0)
            {
                types.Add("object");
            }

            if (Arrays > 0)
            {
                types.Add("array");
            }

            if (types.Count == 0)
            {
                return new JsonObject { ["description"] = "Only null was seen" };
            }

            if (Nulls > 0)
            {
                types.Add("null");
            }

            var schema = new JsonObject { ["type"] = types.Count == 1 ? types[0] : new JsonArray([.. types.Select(t => (JsonNode)t)]) };
            if (types.Count > (Nulls > 0 ? 2 : 1))
            {
                return schema; // several types: the generator makes it a JsonElement (with a warning)
            }

            switch (types[0])
            {
                case "string":
                    string? format = _dateTime ? "date-time" : _date ? "date" : _uuid ? "uuid" : _email ? "email" : _uri ? "uri" : null;
                    if (format is not null)
                    {
                        schema["format"] = format;
                    }
                    else if (_values is { Count: > 0 } values && Strings >= MinEnumStrings && values.Values.All(v => v >= MinEnumValueCount))
                    {
                        schema["enum"] = new JsonArray([.. values.Keys.Order(StringComparer.Ordinal).Select(v => (JsonNode)v)]);
                    }

                    break;
                case "object":
                    JsonObject members = ToObjectSchema(Objects);
                    foreach ((string key, JsonNode? value) in members.Where(m => m.Key != "type").ToList())
                    {
                        members.Remove(key);
                        schema[key] = value;
                    }

                    break;
                case "array":
                    if (_item is not null)
                    {
                        schema["items"] = _item.ToSchema();
                    }

                    break;
            }

            return schema;
        }
    }

    private sealed class ByteComparer : IComparer<byte[]>
    {
        public static readonly ByteComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }
}
