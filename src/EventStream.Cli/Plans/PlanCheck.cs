using System.Globalization;
using System.Text;
using System.Text.Json;
using EventStream.Generators;
using EventStream.Generators.Model;
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
    private string? _member; // the name of a member checked against an object's rule for members it does not name

    private PlanCheck() => _actionsBySpan = _actions.GetAlternateLookup<ReadOnlySpan<char>>();

    public long Events { get; private set; }

    public long Skipped { get; private set; }

    /// <summary>Values that break the plan (unplanned actions and properties are counted apart).</summary>
    public long Violations => _findings.Where(f => f.Key.Kind is not ("unplanned action" or "unplanned property")).Sum(f => f.Value.Count);

    /// <summary>
    /// Reads a plan in any format <c>[TrackingPlan]</c> reads (ours, Segment Protocols, Avo, Iglu, plain JSON Schema), with
    /// the generator's own reader: a file, or a directory of schema files. Throws <see cref="FormatException"/> with the
    /// reader's errors (located); its warnings (what is not checked) are in <see cref="Warnings"/>.
    /// </summary>
    public static PlanCheck FromPath(string path, PlanFormat format = PlanFormat.Auto)
    {
        string full = Path.GetFullPath(path);
        List<PlanFile> files = Directory.Exists(full)
            ? [.. Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories).Where(PlanParser.IsPlanFile).Order(StringComparer.Ordinal).Select(f => new PlanFile(f, File.ReadAllText(f)))]
            : [new PlanFile(full, File.ReadAllText(full))];
        if (files.Count == 0)
        {
            throw new FormatException("the directory holds no plan files (*.json, or Iglu's vendor/name/jsonschema/1-0-0)");
        }

        return FromFiles(full, files, format);
    }

    /// <summary>Reads a plan given as text (as <see cref="FromPath"/>; a <c>$ref</c> to another file is resolved from the working directory).</summary>
    public static PlanCheck FromPlan(string json, PlanFormat format = PlanFormat.Auto)
    {
        string path = Path.Combine(Environment.CurrentDirectory, "plan.json");
        return FromFiles(path, [new PlanFile(path, json)], format);
    }

    private static PlanCheck FromFiles(string path, List<PlanFile> files, PlanFormat format)
    {
        var target = new PlanTarget(string.Empty, EquatableArray<string>.Empty, "Plan", path, Path.GetDirectoryName(path) ?? string.Empty, null, (int)format, null);
        PlanResult result = PlanParser.Parse(target, [.. files], null, CancellationToken.None, f => File.Exists(f) ? File.ReadAllText(f) : null);
        string from = Directory.Exists(path) ? path : Path.GetDirectoryName(path) ?? string.Empty;
        string Describe(DiagnosticInfo d) => PlanCheck.Describe(d, from);
        string[] errors = [.. result.Diagnostics.Where(d => PlanDiagnostics.IsError(d.Id)).Select(Describe)];
        if (result.Model is null || errors.Length > 0)
        {
            throw new FormatException(errors.Length > 0 ? string.Join("; ", errors) : "the plan could not be read");
        }

        // What the reader says of C# names (ESG006-ESG008) does not concern a check.
        var check = new PlanCheck
        {
            Warnings = [.. result.Diagnostics.Where(d => d.Id is not (PlanDiagnostics.DuplicateName or PlanDiagnostics.InvalidName or PlanDiagnostics.BaseMemberClash)).Select(Describe)],
        };
        foreach (EventModel e in result.Model.Events)
        {
            string root = e.ReadsTraits ? "traits" : "properties";
            check._actions[e.Action] = e.HasSchema ? Rule.ForObject(root, e.ReadsTraits, e.Properties, e.Extra, null) : Rule.AnyAt(root, e.ReadsTraits);
        }

        if (check._actions.Count == 0)
        {
            throw new FormatException("the plan names no events");
        }

        return check;
    }

    // "ESG004 plan.json(12,5): 'price': …" — the file relative to the plan's directory, lines and columns one-based, as
    // compilers print them.
    private static string Describe(DiagnosticInfo d, string from)
        => d.Id + " "
            + (d.Location is { } at ? string.Create(CultureInfo.InvariantCulture, $"{Path.GetRelativePath(from, at.FilePath)}({at.StartLine + 1},{at.StartColumn + 1}): ") : string.Empty)
            + PlanDiagnostics.Message(d.Id, [.. d.Arguments]);

    /// <summary>What the plan's reader said of it that is not an error: constructs decoded but not checked, renamed members.</summary>
    public IReadOnlyList<string> Warnings { get; private init; } = [];

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

        if (rule.Limits?.AllowedJson is not null)
        {
            // A mixed-type enum: compared as JSON values, as the decoder does.
            if (!rule.Limits.Allows(JsonElement.ParseValue(ref reader)))
            {
                Note(rule.Path, nameof(PlanViolationKind.UnknownEnumValue), rule.Limits.AllowedText());
            }

            return;
        }

        if (kind == Kinds.Object && rule.Cases is not null)
        {
            rule = UnionCase(reader, rule);
        }

        switch (kind)
        {
            case Kinds.String:
                CheckString(ref reader, rule);
                break;
            case Kinds.Integer or Kinds.Number:
                if (rule.IntegerEnum is { } allowed && reader.TryGetInt64(out long integer) && !allowed.Contains(integer))
                {
                    Note(rule.Path, nameof(PlanViolationKind.UnknownEnumValue), "one of " + string.Join(", ", allowed.Order()));
                }
                else if (rule.Limits?.CheckNumber(reader.GetDouble()) is { } range)
                {
                    Note(rule.Path, nameof(PlanViolationKind.OutOfRange), range);
                }

                break;
            case Kinds.Object when rule.Members is not null || rule.ExtraType is not null:
                Member[] members = rule.Members ?? [];
                // Members are matched by their UTF-8 names, trying first the one after the last match (events usually
                // keep the plan's order), and the required ones found are marked by index: no string, no set per object.
                Span<bool> seen = members.Length <= 256 ? stackalloc bool[members.Length] : new bool[members.Length];
                int next = 0;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    int index = Find(ref reader, rule, members, next);
                    _member = index < 0 && rule.ExtraType is not null ? reader.GetString()! : null;
                    reader.Read();
                    if (index >= 0)
                    {
                        seen[index] = true;
                        next = index + 1;
                        CheckValue(ref reader, members[index].Rule, allowNull: !members[index].Required);
                    }
                    else if (rule.ExtraType is not null)
                    {
                        CheckValue(ref reader, rule.ExtraAt(_member!), allowNull: false);
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

        if (parent.Closed)
        {
            Note(parent.Path + "." + reader.GetString(), nameof(PlanViolationKind.UnplannedProperty), "no other property");
        }
        else if (parent.ExtraType is null)
        {
            Note(parent.Path + "." + reader.GetString(), "unplanned property", null);
        }

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
        else if (rule.Limits?.CheckText(text) is { } broken)
        {
            Note(rule.Path, broken.Kind.ToString(), broken.Expected);
        }
    }

    // A union's case, chosen by its discriminator (read ahead on a copy of the reader, which stays at the object's start);
    // a missing or unknown discriminator is noted and the object is checked as any object.
    private Rule UnionCase(Utf8JsonReader ahead, Rule union)
    {
        string path = union.Path + "." + Encoding.UTF8.GetString(union.Discriminator!);
        while (ahead.Read() && ahead.TokenType == JsonTokenType.PropertyName)
        {
            bool match = ahead.ValueTextEquals(union.Discriminator);
            ahead.Read();
            if (match)
            {
                if (ahead.TokenType == JsonTokenType.String && union.Cases!.TryGetValue(ahead.GetString()!, out Rule? found))
                {
                    return found;
                }

                Note(path, nameof(PlanViolationKind.UnknownEnumValue), "one of " + string.Join(", ", union.Cases!.Keys.Order(StringComparer.Ordinal)));
                return Rule.AnyAt(union.Path);
            }

            ahead.Skip();
        }

        Note(path, nameof(PlanViolationKind.MissingRequired), "present");
        return Rule.AnyAt(union.Path);
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

    /// <summary>What the plan allows at one place, made from the generator's model of it (so it checks what the decoders check).</summary>
    private sealed record Rule
    {
        private Rule(string path, bool traits) => (Path, Traits) = (path, traits);

        public Kinds Types { get; init; } = Kinds.Any;

        public bool AllowsNull { get; init; } = true;

        public string? Format { get; private init; }

        public HashSet<string>? Enum { get; private init; }

        public HashSet<string>.AlternateLookup<ReadOnlySpan<char>> EnumBySpan { get; private init; }

        public HashSet<long>? IntegerEnum { get; private init; }

        /// <summary>Minimum, maximum, lengths, pattern, email, mixed-type enum values.</summary>
        public PlanRule? Limits { get; init; }

        public Member[]? Members { get; private init; }

        /// <summary>What an object's members the plan does not name must be (a map's values, <c>additionalProperties: {schema}</c>).</summary>
        public TypeModel? ExtraType { get; private init; }

        /// <summary>Whether a member the plan does not name breaks it (<c>additionalProperties: false</c>).</summary>
        public bool Closed { get; private init; }

        public Rule? Items { get; private init; }

        private Dictionary<string, Rule>? _extraByName;

        /// <summary>A union's discriminator (UTF-8) and its cases by value.</summary>
        public byte[]? Discriminator { get; private init; }

        public Dictionary<string, Rule>? Cases { get; private init; }

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

        public static Rule ForObject(string path, bool traits, EquatableArray<PropertyModel> properties, ExtraModel? extra, string? discriminator)
            => new(path, traits)
            {
                Types = Kinds.Object,
                AllowsNull = false,
                Members = [.. properties.Select(p => new Member(p.JsonName, Encoding.UTF8.GetBytes(p.JsonName), From(p.Type, path + "." + p.JsonName), p.Required))
                    .Concat(discriminator is null ? [] : [new Member(discriminator, Encoding.UTF8.GetBytes(discriminator), AnyAt(path + "." + discriminator), Required: false)])],
                ExtraType = extra?.Value,
                Closed = extra?.Closed == true,
            };

        public static Rule From(TypeModel type, string path)
        {
            HashSet<string>? values = type.Kind == PlanTypeKind.StringEnum ? new HashSet<string>(type.Members.Select(m => m.WireValue), StringComparer.Ordinal) : null;
            Rule rule = type.Kind switch
            {
                PlanTypeKind.Object => ForObject(path, false, type.Properties, type.Extra, null),
                PlanTypeKind.Map => new Rule(path, false) { Types = Kinds.Object, ExtraType = type.Item },
                PlanTypeKind.Union => new Rule(path, false)
                {
                    Types = Kinds.Object,
                    Discriminator = Encoding.UTF8.GetBytes(type.Discriminator!),
                    Cases = type.Cases.ToDictionary(c => c.Value, c => ForObject(path, false, c.Type.Properties, c.Type.Extra, type.Discriminator), StringComparer.Ordinal),
                },
                PlanTypeKind.Array => new Rule(path, false) { Types = Kinds.Array, Items = From(type.Item!, path + "[]") },
                PlanTypeKind.Raw => AnyAt(path),
                PlanTypeKind.Integer or PlanTypeKind.IntegerEnum => new Rule(path, false)
                {
                    Types = Kinds.Integer,
                    IntegerEnum = type.Kind == PlanTypeKind.IntegerEnum ? [.. type.Members.Select(m => long.Parse(m.WireValue, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture))] : null,
                },
                PlanTypeKind.Number or PlanTypeKind.Decimal => new Rule(path, false) { Types = Kinds.Number | Kinds.Integer },
                PlanTypeKind.Boolean => new Rule(path, false) { Types = Kinds.Boolean },
                _ => new Rule(path, false)
                {
                    Types = Kinds.String,
                    Format = type.Kind switch
                    {
                        PlanTypeKind.DateTime => "date-time",
                        PlanTypeKind.Uuid => "uuid",
                        PlanTypeKind.Date => "date",
                        PlanTypeKind.Uri => "uri",
                        _ => null,
                    },
                    Enum = values,
                    EnumBySpan = values is null ? default : values.GetAlternateLookup<ReadOnlySpan<char>>(),
                },
            };

            RuleModel? limits = type.Rule;
            return rule with
            {
                AllowsNull = type.AllowsNull || rule.Types == Kinds.Any,
                Limits = limits is null || limits.IsEmpty ? null : new PlanRule
                {
                    Minimum = Number(limits.Minimum),
                    ExclusiveMinimum = limits.ExclusiveMinimum,
                    Maximum = Number(limits.Maximum),
                    ExclusiveMaximum = limits.ExclusiveMaximum,
                    MinLength = limits.MinLength,
                    MaxLength = limits.MaxLength,
                    Pattern = limits.Pattern,
                    Email = limits.Format == "email",
                    AllowedJson = limits.AllowedJson.Count > 0 ? [.. limits.AllowedJson] : null,
                },
            };
        }

        /// <summary>The rule for a member <see cref="ExtraType"/> applies to, at its path (as the decoder names it: <c>properties.attributes.colour</c>); kept for the first 1,000 names.</summary>
        public Rule ExtraAt(string name)
        {
            _extraByName ??= new Dictionary<string, Rule>(StringComparer.Ordinal);
            if (!_extraByName.TryGetValue(name, out Rule? rule))
            {
                rule = From(ExtraType!, Path + "." + name);
                if (_extraByName.Count < 1_000)
                {
                    _extraByName[name] = rule;
                }
            }

            return rule;
        }

        private static double? Number(string? text) => text is null ? null : double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }
}
