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
    private readonly Dictionary<(string Action, string Path, string Kind), Finding> _findings = [];
    private byte[] _scratch = new byte[256];
    private string _eventId = string.Empty;
    private string _action = string.Empty;

    private PlanCheck()
    {
    }

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

        foreach (JsonElement e in events.EnumerateArray())
        {
            if (e.TryGetProperty("action", out JsonElement action) && action.GetString() is { Length: > 0 } name)
            {
                bool traits = e.TryGetProperty("category", out JsonElement c) && c.GetString() == "identify";
                Rule payload = e.TryGetProperty("properties", out JsonElement schema) ? Rule.From(schema) : Rule.Any;
                check._actions[name] = payload with { Traits = traits };
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

        string? action = null;
        _eventId = string.Empty;
        Utf8JsonReader rawData = default;
        bool hasRawData = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isAction = reader.ValueTextEquals("eventAction"u8);
            bool isId = !isAction && reader.ValueTextEquals("eventId"u8);
            bool isRaw = !isAction && !isId && reader.ValueTextEquals("rawData"u8);
            reader.Read();
            if ((isAction || isId) && reader.TokenType == JsonTokenType.String)
            {
                string value = reader.GetString()!;
                if (isAction)
                {
                    action = value;
                }
                else
                {
                    _eventId = value;
                }
            }
            else if (isRaw)
            {
                rawData = reader;
                hasRawData = reader.TokenType == JsonTokenType.StartObject;
            }

            reader.Skip();
        }

        if (action is null)
        {
            return false;
        }

        Events++;
        _action = action;
        if (!_actions.TryGetValue(action, out Rule? rule))
        {
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
                    CheckValue(ref rawData, rule, rule.Traits ? "traits" : "properties", allowNull: false);
                    break;
                }

                rawData.Skip();
            }
        }

        if (!found && rule.Properties is not null)
        {
            foreach (string required in rule.Required)
            {
                Note((rule.Traits ? "traits." : "properties.") + required, nameof(PlanViolationKind.MissingRequired), "present");
            }
        }

        return true;
    }

    private void CheckValue(ref Utf8JsonReader reader, Rule rule, string path, bool allowNull)
    {
        JsonTokenType token = reader.TokenType;
        if (token == JsonTokenType.Null)
        {
            if (!allowNull && !rule.AllowsNull && rule.Types != Kinds.Any)
            {
                Note(path, nameof(PlanViolationKind.WrongType), rule.Expected);
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
            Note(path, kind == Kinds.Number && (rule.Types & Kinds.Integer) != 0 ? nameof(PlanViolationKind.OutOfRange) : nameof(PlanViolationKind.WrongType), rule.Expected);
            reader.Skip();
            return;
        }

        switch (kind)
        {
            case Kinds.String:
                CheckString(ref reader, rule, path);
                break;
            case Kinds.Object when rule.Properties is not null:
                var seen = new HashSet<string>(StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string name = reader.GetString()!;
                    reader.Read();
                    seen.Add(name);
                    if (rule.Properties.TryGetValue(name, out Rule? member))
                    {
                        CheckValue(ref reader, member, path + "." + name, allowNull: !rule.Required.Contains(name));
                    }
                    else
                    {
                        Note(path + "." + name, "unplanned property", null);
                        reader.Skip();
                    }
                }

                foreach (string required in rule.Required)
                {
                    if (!seen.Contains(required))
                    {
                        Note(path + "." + required, nameof(PlanViolationKind.MissingRequired), "present");
                    }
                }

                break;
            case Kinds.Array when rule.Items is not null:
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    CheckValue(ref reader, rule.Items, path + "[]", allowNull: false);
                }

                break;
            default:
                reader.Skip();
                break;
        }
    }

    private void CheckString(ref Utf8JsonReader reader, Rule rule, string path)
    {
        ReadOnlySpan<byte> text = reader.ValueIsEscaped ? Unescape(ref reader) : reader.ValueSpan;
        if (rule.Enum is { } values && !values.Contains(Encoding.UTF8.GetString(text)))
        {
            Note(path, nameof(PlanViolationKind.UnknownEnumValue), "one of " + string.Join(", ", values.Order(StringComparer.Ordinal)));
            return;
        }

        bool ok = rule.Format switch
        {
            "date-time" => reader.TryGetDateTimeOffset(out _),
            "uuid" => reader.TryGetGuid(out _),
            "date" => text.Length == 10 && DateOnly.TryParseExact(Encoding.UTF8.GetString(text), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            "email" => PlanRule.IsEmail(text),
            "uri" => Encoding.UTF8.GetString(text) is var s && PlanReader.HasScheme(s) && Uri.TryCreate(s, UriKind.Absolute, out _),
            _ => true,
        };
        if (!ok)
        {
            Note(path, nameof(PlanViolationKind.InvalidFormat), rule.Format);
        }
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
            _findings[key] = new Finding(_eventId, expected) { Count = 1 };
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

    /// <summary>What the plan allows at one place (the subset of JSON Schema the generator maps; the rest allows anything).</summary>
    private sealed record Rule(Kinds Types, bool AllowsNull, string? Format, HashSet<string>? Enum, Dictionary<string, Rule>? Properties, HashSet<string> Required, Rule? Items)
    {
        public static readonly Rule Any = new(Kinds.Any, true, null, null, null, [], null);

        public bool Traits { get; init; }

        public string Expected => Types switch
        {
            Kinds.String => Format ?? "string",
            Kinds.Integer => "integer",
            Kinds.Number => "number",
            Kinds.Boolean => "boolean",
            Kinds.Object => "object",
            Kinds.Array => "array",
            _ => "a planned type",
        };

        public static Rule From(JsonElement schema)
        {
            if (schema.ValueKind != JsonValueKind.Object)
            {
                return Any;
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
                return Any;
            }

            HashSet<string>? values = null;
            if (schema.TryGetProperty("enum", out JsonElement e) && e.ValueKind == JsonValueKind.Array && types == Kinds.String && e.EnumerateArray().All(v => v.ValueKind is JsonValueKind.String or JsonValueKind.Null))
            {
                values = [.. e.EnumerateArray().Where(v => v.ValueKind == JsonValueKind.String).Select(v => v.GetString()!)];
                allowsNull |= e.EnumerateArray().Any(v => v.ValueKind == JsonValueKind.Null);
            }

            Dictionary<string, Rule>? properties = null;
            if (schema.TryGetProperty("properties", out JsonElement p) && p.ValueKind == JsonValueKind.Object)
            {
                properties = p.EnumerateObject().ToDictionary(m => m.Name, m => From(m.Value), StringComparer.Ordinal);
            }

            HashSet<string> required = schema.TryGetProperty("required", out JsonElement r) && r.ValueKind == JsonValueKind.Array
                ? [.. r.EnumerateArray().Where(x => x.ValueKind == JsonValueKind.String).Select(x => x.GetString()!).Where(n => properties?.ContainsKey(n) == true)]
                : [];
            string? format = types == Kinds.String && schema.TryGetProperty("format", out JsonElement f) && f.GetString() is "date-time" or "uuid" or "date" or "email" or "uri" ? f.GetString() : null;
            Rule? items = schema.TryGetProperty("items", out JsonElement i) ? From(i) : null;
            return new Rule(types, allowsNull, format, values, properties, required, items);
        }
    }
}
