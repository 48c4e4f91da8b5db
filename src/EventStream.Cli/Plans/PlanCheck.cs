using System.Globalization;
using System.Text;
using System.Text.Json;
using EventStream.Typed;

namespace EventStream.Cli.Plans;

/// <summary>
/// Reads traffic against a plan in our format (<c>data/tracking-plan.json</c>'s, as <c>plan infer</c> writes) and counts
/// drift: per action and property, values that break the plan by kind (with one example event id each), actions and
/// properties the plan does not name. It checks what the generated decoders check: JSON type and null, <c>required</c>,
/// <c>enum</c>, the formats <c>date-time</c>, <c>date</c>, <c>uuid</c>, <c>email</c>, <c>uri</c>, integers.
/// </summary>
internal sealed class PlanCheck
{
    private readonly Dictionary<string, Rule> _actions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Rule>.AlternateLookup<ReadOnlySpan<char>> _actionsBySpan;
    private readonly Dictionary<(string Action, string Path, string Kind), Finding> _findings = [];
    private byte[] _scratch = new byte[256];
    private byte[] _eventId = new byte[64]; // the current event's id, made a string only for a finding's first example
    private int _eventIdLength;
    private string _action = string.Empty;

    private PlanCheck() => _actionsBySpan = _actions.GetAlternateLookup<ReadOnlySpan<char>>();

    public long Events { get; private set; }

    public long Skipped { get; private set; }

    /// <summary>Values that break the plan (unplanned actions and properties are counted apart).</summary>
    public long Violations => _findings.Where(f => f.Key.Kind is not ("unplanned action" or "unplanned property")).Sum(f => f.Value.Count);

    /// <summary>Reads a plan in our format; throws <see cref="FormatException"/> naming what is wrong.</summary>
    public static PlanCheck FromPlan(string json)
    {
        var check = new PlanCheck();
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("events", out JsonElement events) || events.ValueKind != JsonValueKind.Array)
        {
            throw new FormatException("the plan is not in our format: an object with an 'events' array (as data/tracking-plan.json and plan infer write)");
        }

        if (events.GetArrayLength() > 0 && !events.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("action", out _)))
        {
            // Every action would count as unplanned, and nothing else would be checked: say so rather than report that.
            bool segmentOrAvo = events.EnumerateArray().Any(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("name", out _) && e.TryGetProperty("rules", out _));
            throw new FormatException("no event in it has an 'action': plan check reads our format (as data/tracking-plan.json and plan infer write)"
                + (segmentOrAvo ? "; this looks like a Segment Protocols or Avo export, which [TrackingPlan] reads but plan check does not yet — `plan infer --from` the same traffic gives a plan to check against" : ""));
        }

        foreach (JsonElement e in events.EnumerateArray())
        {
            if (e.TryGetProperty("action", out JsonElement action) && action.GetString() is { Length: > 0 } name)
            {
                bool traits = e.TryGetProperty("category", out JsonElement c) && c.GetString() == "identify";
                string root = traits ? "traits" : "properties";
                check._actions[name] = e.TryGetProperty("properties", out JsonElement schema) ? Rule.From(schema, root, traits) : Rule.AnyAt(root, traits);
            }
        }

        return check;
    }

    public int PlannedActions => _actions.Count;

    public IEnumerable<(string Action, string Path, string Kind, long Count, string Example, string? Expected)> Findings
        => _findings.OrderBy(f => f.Key.Action, StringComparer.Ordinal).ThenBy(f => f.Key.Path, StringComparer.Ordinal).ThenBy(f => f.Key.Kind, StringComparer.Ordinal)
            .Select(f => (f.Key.Action, f.Key.Path, f.Key.Kind, f.Value.Count, f.Value.Example, f.Value.Expected));

    /// <summary>Checks one event's JSON.</summary>
    public void Add(ReadOnlySpan<byte> json)
    {
        try
        {
            if (!Check(json))
            {
                Skipped++;
            }
        }
        catch (JsonException)
        {
            Skipped++;
        }
    }

    private bool Check(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        Rule? rule = null;
        string? unplanned = null;
        _eventIdLength = 0;
        Utf8JsonReader rawData = default;
        bool hasRawData = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isAction = reader.ValueTextEquals("eventAction"u8);
            bool isId = !isAction && reader.ValueTextEquals("eventId"u8);
            bool isRaw = !isAction && !isId && reader.ValueTextEquals("rawData"u8);
            reader.Read();
            if (isAction && reader.TokenType == JsonTokenType.String)
            {
                (rule, unplanned) = FindAction(ref reader);
            }
            else if (isId && reader.TokenType == JsonTokenType.String)
            {
                if (_eventId.Length < reader.ValueSpan.Length)
                {
                    _eventId = new byte[reader.ValueSpan.Length * 2];
                }

                _eventIdLength = reader.CopyString(_eventId);
            }
            else if (isRaw)
            {
                rawData = reader;
                hasRawData = reader.TokenType == JsonTokenType.StartObject;
            }

            reader.Skip();
        }

        if (rule is null && unplanned is null)
        {
            return false;
        }

        Events++;
        if (rule is null)
        {
            _action = unplanned!;
            Note("", "unplanned action", null);
            return true;
        }

        bool found = false;
        if (hasRawData)
        {
            ReadOnlySpan<byte> name = rule.Traits ? "traits"u8 : "properties"u8;
            while (rawData.Read() && rawData.TokenType == JsonTokenType.PropertyName)
            {
                bool match = rawData.ValueTextEquals(name);
                rawData.Read();
                if (match && rawData.TokenType == JsonTokenType.StartObject)
                {
                    found = true;
                    CheckValue(ref rawData, rule, allowNull: false);
                    break;
                }

                rawData.Skip();
            }
        }

        if (!found && rule.Members is not null)
        {
            foreach (Member member in rule.Members)
            {
                if (member.Required)
                {
                    Note(member.Rule.Path, nameof(PlanViolationKind.MissingRequired), "present");
                }
            }
        }

        return true;
    }

    // The plan's action for the event's eventAction (matched without making it a string), or the unplanned name.
    private (Rule? Rule, string? Unplanned) FindAction(ref Utf8JsonReader reader)
    {
        ReadOnlySpan<byte> utf8 = reader.ValueIsEscaped ? Unescape(ref reader) : reader.ValueSpan;
        Span<char> chars = utf8.Length <= 256 ? stackalloc char[utf8.Length] : new char[utf8.Length];
        int length = Encoding.UTF8.GetChars(utf8, chars);
        if (_actionsBySpan.TryGetValue(chars[..length], out string? name, out Rule? rule))
        {
            _action = name;
            return (rule, null);
        }

        return (null, new string(chars[..length]));
    }

    private void CheckValue(ref Utf8JsonReader reader, Rule rule, bool allowNull)
    {
        JsonTokenType token = reader.TokenType;
        if (token == JsonTokenType.Null)
        {
            if (!allowNull && !rule.AllowsNull && rule.Types != Kinds.Any)
            {
                Note(rule.Path, nameof(PlanViolationKind.WrongType), rule.Expected);
            }

            return;
        }

        Kinds kind = token switch
        {
            JsonTokenType.String => Kinds.String,
            JsonTokenType.Number => reader.TryGetInt64(out _) ? Kinds.Integer : Kinds.Number,
            JsonTokenType.True or JsonTokenType.False => Kinds.Boolean,
            JsonTokenType.StartObject => Kinds.Object,
            _ => Kinds.Array,
        };
        bool fits = (rule.Types & kind) != 0 || (kind == Kinds.Integer && (rule.Types & Kinds.Number) != 0);
        if (!fits)
        {
            Note(rule.Path, kind == Kinds.Number && (rule.Types & Kinds.Integer) != 0 ? nameof(PlanViolationKind.OutOfRange) : nameof(PlanViolationKind.WrongType), rule.Expected);
            reader.Skip();
            return;
        }

        switch (kind)
        {
            case Kinds.String:
                CheckString(ref reader, rule);
                break;
            case Kinds.Object when rule.Members is { } members:
                // Members are matched by their UTF-8 names, trying first the one after the last match (events usually
                // keep the plan's order), and the required ones found are marked by index: no string, no set per object.
                Span<bool> seen = members.Length <= 256 ? stackalloc bool[members.Length] : new bool[members.Length];
                int next = 0;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    int index = Find(ref reader, rule, members, next);
                    reader.Read();
                    if (index >= 0)
                    {
                        seen[index] = true;
                        next = index + 1;
                        CheckValue(ref reader, members[index].Rule, allowNull: !members[index].Required);
                    }
                    else
                    {
                        reader.Skip(); // unplanned: noted by Find
                    }
                }

                for (int i = 0; i < members.Length; i++)
                {
                    if (members[i].Required && !seen[i])
                    {
                        Note(members[i].Rule.Path, nameof(PlanViolationKind.MissingRequired), "present");
                    }
                }

                break;
            case Kinds.Array when rule.Items is not null:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    CheckValue(ref reader, rule.Items, allowNull: false);
                }

                break;
            default:
                reader.Skip();
                break;
        }
    }

    // The index of the member the reader's property name names, or -1 (and the finding noted) when the plan has none.
    private int Find(ref Utf8JsonReader reader, Rule parent, Member[] members, int next)
    {
        for (int i = 0; i < members.Length; i++)
        {
            int index = next + i < members.Length ? next + i : next + i - members.Length;
            if (reader.ValueTextEquals(members[index].Utf8Name))
            {
                return index;
            }
        }

        Note(parent.Path + "." + reader.GetString(), "unplanned property", null);
        return -1;
    }

    private void CheckString(ref Utf8JsonReader reader, Rule rule)
    {
        ReadOnlySpan<byte> text = reader.ValueIsEscaped ? Unescape(ref reader) : reader.ValueSpan;
        if (rule.Enum is { } values)
        {
            Span<char> chars = text.Length <= 256 ? stackalloc char[text.Length] : new char[text.Length];
            if (!rule.EnumBySpan.Contains(chars[..Encoding.UTF8.GetChars(text, chars)]))
            {
                Note(rule.Path, nameof(PlanViolationKind.UnknownEnumValue), "one of " + string.Join(", ", values.Order(StringComparer.Ordinal)));
            }

            return;
        }

        bool ok = rule.Format switch
        {
            "date-time" => reader.TryGetDateTimeOffset(out _),
            "uuid" => reader.TryGetGuid(out _),
            "date" => text.Length == 10 && IsDate(text),
            "email" => PlanRule.IsEmail(text),
            "uri" => Encoding.UTF8.GetString(text) is var s && PlanReader.HasScheme(s) && Uri.TryCreate(s, UriKind.Absolute, out _),
            _ => true,
        };
        if (!ok)
        {
            Note(rule.Path, nameof(PlanViolationKind.InvalidFormat), rule.Format);
        }
    }

    private static bool IsDate(ReadOnlySpan<byte> text)
    {
        Span<char> chars = stackalloc char[10];
        return Encoding.UTF8.TryGetChars(text, chars, out int length) && DateOnly.TryParseExact(chars[..length], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
    }

    private ReadOnlySpan<byte> Unescape(ref Utf8JsonReader reader)
    {
        if (_scratch.Length < reader.ValueSpan.Length)
        {
            _scratch = new byte[reader.ValueSpan.Length * 2];
        }

        return _scratch.AsSpan(0, reader.CopyString(_scratch));
    }

    private void Note(string path, string kind, string? expected)
    {
        (string, string, string) key = (_action, path, kind);
        if (_findings.TryGetValue(key, out Finding? finding))
        {
            finding.Count++;
        }
        else
        {
            _findings[key] = new Finding(Encoding.UTF8.GetString(_eventId, 0, _eventIdLength), expected) { Count = 1 };
        }
    }

    private sealed class Finding(string example, string? expected)
    {
        public long Count { get; set; }

        public string Example { get; } = example;

        public string? Expected { get; } = expected;
    }

    [Flags]
    private enum Kinds
    {
        None = 0,
        String = 1,
        Integer = 2,
        Number = 4,
        Boolean = 8,
        Object = 16,
        Array = 32,
        Any = String | Integer | Number | Boolean | Object | Array,
    }

    /// <summary>A property the plan names, matched by its UTF-8 name.</summary>
    private sealed record Member(string Name, byte[] Utf8Name, Rule Rule, bool Required);

    /// <summary>What the plan allows at one place (the subset of JSON Schema the generator maps; the rest allows anything).</summary>
    private sealed class Rule
    {
        private Rule(string path, bool traits) => (Path, Traits) = (path, traits);

        public Kinds Types { get; private init; } = Kinds.Any;

        public bool AllowsNull { get; private init; } = true;

        public string? Format { get; private init; }

        public HashSet<string>? Enum { get; private init; }

        public HashSet<string>.AlternateLookup<ReadOnlySpan<char>> EnumBySpan { get; private init; }

        public Member[]? Members { get; private init; }

        public Rule? Items { get; private init; }

        /// <summary>Where this rule applies, as findings name it: <c>properties.box.sealed</c>, <c>properties.tags[]</c>.</summary>
        public string Path { get; }

        public bool Traits { get; }

        public string Expected => Types switch
        {
            Kinds.String => Format ?? "string",
            Kinds.Integer => "integer",
            Kinds.Number | Kinds.Integer => "number",
            Kinds.Boolean => "boolean",
            Kinds.Object => "object",
            Kinds.Array => "array",
            _ => "a planned type",
        };

        public static Rule AnyAt(string path, bool traits = false) => new(path, traits);

        public static Rule From(JsonElement schema, string path, bool traits = false)
        {
            if (schema.ValueKind != JsonValueKind.Object)
            {
                return AnyAt(path, traits);
            }

            Kinds types = Kinds.None;
            bool allowsNull = false;
            if (schema.TryGetProperty("type", out JsonElement type))
            {
                foreach (string t in type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(x => x.GetString() ?? "") : [type.GetString() ?? ""])
                {
                    switch (t)
                    {
                        case "string": types |= Kinds.String; break;
                        case "integer": types |= Kinds.Integer; break;
                        case "number": types |= Kinds.Number | Kinds.Integer; break;
                        case "boolean": types |= Kinds.Boolean; break;
                        case "object": types |= Kinds.Object; break;
                        case "array": types |= Kinds.Array; break;
                        case "null": allowsNull = true; break;
                    }
                }
            }
            else if (schema.TryGetProperty("properties", out _))
            {
                types = Kinds.Object;
            }

            if (types == Kinds.None)
            {
                return AnyAt(path, traits);
            }

            HashSet<string>? values = null;
            if (schema.TryGetProperty("enum", out JsonElement e) && e.ValueKind == JsonValueKind.Array && types == Kinds.String && e.EnumerateArray().All(v => v.ValueKind is JsonValueKind.String or JsonValueKind.Null))
            {
                values = new HashSet<string>(e.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!), StringComparer.Ordinal);
                allowsNull |= e.EnumerateArray().Any(v => v.ValueKind == JsonValueKind.Null);
            }

            Member[]? members = null;
            if (schema.TryGetProperty("properties", out JsonElement p) && p.ValueKind == JsonValueKind.Object)
            {
                HashSet<string> required = schema.TryGetProperty("required", out JsonElement r) && r.ValueKind == JsonValueKind.Array
                    ? [.. r.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!)]
                    : [];
                members = [.. p.EnumerateObject().DistinctBy(m => m.Name, StringComparer.Ordinal)
                    .Select(m => new Member(m.Name, Encoding.UTF8.GetBytes(m.Name), From(m.Value, path + "." + m.Name), required.Contains(m.Name)))];
            }

            string? format = types == Kinds.String && schema.TryGetProperty("format", out JsonElement f) && f.GetString() is "date-time" or "uuid" or "date" or "email" or "uri" ? f.GetString() : null;
            Rule? items = schema.TryGetProperty("items", out JsonElement i) ? From(i, path + "[]") : null;
            return new Rule(path, traits)
            {
                Types = types,
                AllowsNull = allowsNull,
                Format = format,
                Enum = values,
                EnumBySpan = values is null ? default : values.GetAlternateLookup<ReadOnlySpan<char>>(),
                Members = members,
                Items = items,
            };
        }
    }
}
