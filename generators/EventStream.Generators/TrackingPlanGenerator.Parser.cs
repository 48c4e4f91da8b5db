using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using EventStream.Generators.Json;
using EventStream.Generators.Model;

namespace EventStream.Generators;

/// <summary>
/// Reads a tracking plan into a <see cref="PlanModel"/>: ours (Intilery's <c>tracking-plan.json</c>), Segment Protocols,
/// Avo, Snowplow Iglu or plain JSON Schema (see <c>TrackingPlanGenerator.Formats.cs</c>). Every format is first read into
/// <see cref="PlanEntry"/> items, so names, types and diagnostics come out the same whatever the format.
/// </summary>
internal sealed partial class PlanParser
{
    private readonly PlanTarget _target;
    private readonly ImmutableArray<PlanFile> _allFiles;
    private readonly Func<string, string?>? _readFile;
    private readonly List<DiagnosticInfo> _diagnostics = [];
    private readonly HashSet<string> _refsInProgress = new(StringComparer.Ordinal);
    private readonly List<PlanSource> _sources = []; // every file read, by ascending offset
    private int _nextOffset;
    private JsonNode _refRoot = new(JsonKind.Null, 0);
    private PlanSource _source = new(string.Empty, string.Empty, new JsonNode(JsonKind.Null, 0), 0);

    private PlanParser(PlanTarget target, ImmutableArray<PlanFile> allFiles, Func<string, string?>? readFile)
    {
        _target = target;
        _allFiles = allFiles;
        _readFile = readFile;
    }

    /// <param name="target">The class to generate and the plan path it names.</param>
    /// <param name="files">The files the plan may be in (the compilation's AdditionalFiles).</param>
    /// <param name="projectDirectory">The directory relative plan paths start from.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <param name="readFile">
    /// Outside the compiler (<c>eventstream plan check</c>): reads a file a <c>$ref</c> names that is not among
    /// <paramref name="files"/> (null when it does not exist). The generator passes none: it reads only AdditionalFiles.
    /// </param>
    public static PlanResult Parse(PlanTarget target, ImmutableArray<PlanFile> files, string? projectDirectory, CancellationToken cancellationToken, Func<string, string?>? readFile = null)
    {
        if (target.Problem is not null)
        {
            return new PlanResult(null, ImmutableArray.Create(target.Problem).ToEquatableArray());
        }

        List<PlanFile> found = FindFiles(target, files, projectDirectory);
        if (found.Count == 0)
        {
            var notFound = new DiagnosticInfo(PlanDiagnostics.PlanFileNotFound, target.AttributeLocation, new[] { target.PlanPath }.ToEquatableArray());
            return new PlanResult(null, new[] { notFound }.ToEquatableArray());
        }

        var parser = new PlanParser(target, files, readFile);
        PlanModel? model = parser.Read(found, cancellationToken);
        return new PlanResult(model, parser._diagnostics.ToEquatableArray());
    }

    /// <summary>
    /// The attribute's path is resolved against the project directory, then against the directory of the file
    /// holding the attribute; failing both, a unique AdditionalFiles item whose path ends with it is taken.
    /// </summary>
    internal static PlanFile? FindFile(PlanTarget target, ImmutableArray<PlanFile> files, string? projectDirectory)
    {
        string wanted = Normalize(target.PlanPath);
        var candidates = new List<string>();
        if (IsRooted(wanted))
        {
            candidates.Add(wanted);
        }
        else
        {
            if (!string.IsNullOrEmpty(projectDirectory))
            {
                candidates.Add(Combine(projectDirectory!, wanted));
            }

            if (!string.IsNullOrEmpty(target.SourceDirectory))
            {
                candidates.Add(Combine(target.SourceDirectory, wanted));
            }
        }

        foreach (string candidate in candidates)
        {
            foreach (PlanFile file in files)
            {
                if (string.Equals(Combine(Normalize(file.Path), string.Empty), candidate, StringComparison.OrdinalIgnoreCase))
                {
                    return file;
                }
            }
        }

        string suffix = "/" + (wanted.StartsWith("./", StringComparison.Ordinal) ? wanted.Substring(2) : wanted);
        PlanFile[] bySuffix = files.Where(f => ("/" + Normalize(f.Path)).EndsWith(suffix, StringComparison.OrdinalIgnoreCase)).ToArray();
        return bySuffix.Length == 1 ? bySuffix[0] : null;
    }

    private static string Normalize(string path) => path.Replace('\\', '/');

    private static bool IsRooted(string path) => path.StartsWith("/", StringComparison.Ordinal) || (path.Length > 2 && path[1] == ':');

    // Joins and removes "." and ".." segments without touching the file system.
    private static string Combine(string directory, string relative)
    {
        string joined = relative.Length == 0 ? Normalize(directory) : IsRooted(relative) ? relative : Normalize(directory).TrimEnd('/') + "/" + relative;
        var parts = new List<string>();
        foreach (string part in joined.Split('/'))
        {
            if (part == "." || (part.Length == 0 && parts.Count > 0))
            {
                continue;
            }

            if (part == ".." && parts.Count > 1)
            {
                parts.RemoveAt(parts.Count - 1);
                continue;
            }

            parts.Add(part);
        }

        return string.Join("/", parts);
    }

    private PlanModel? Read(List<PlanFile> files, CancellationToken cancellationToken)
    {
        var entries = new List<PlanEntry>();
        bool anyRead = false;
        foreach (PlanFile file in files)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                _source = ReferencedFileAlreadyRead(file.Path) ?? AddSource(file.Path, file.Text);
            }
            catch (JsonParseException ex)
            {
                _source = AddSource(file.Path, string.Empty, parse: false, file.Text);
                Report(PlanDiagnostics.InvalidJson, _source.Offset + ex.Position, _source.Offset + ex.Position, files.Count == 1 ? _target.PlanPath : FileName(file.Path), ex.Message);
                continue;
            }

            JsonNode root = _source.Root;
            if (ReadEntries(root, entries))
            {
                anyRead = true;
            }
        }

        if (!anyRead)
        {
            return null;
        }

        var actions = new HashSet<string>(StringComparer.Ordinal);
        var scope = new NameScope(Naming.ObjectMembers);
        scope.Reserve(_target.ClassName);
        scope.Reserve("Catalog");
        scope.Reserve("DecodeByAction");
        var models = new List<EventModel>();
        foreach (PlanEntry entry in LatestVersions(entries))
        {
            cancellationToken.ThrowIfCancellationRequested();
            _source = entry.Source;
            _refRoot = entry.RefRoot;
            EventModel? model = ReadEvent(entry, actions, scope);
            if (model is not null)
            {
                models.Add(model);
            }
        }

        string fileName = files.Count == 1 ? FileName(files[0].Path) : _target.PlanPath;
        return new PlanModel(_target, fileName, models.ToEquatableArray());
    }

    private static string FileName(string path) => path.Replace('\\', '/').Split('/').Last();

    private EventModel? ReadEvent(PlanEntry entry, HashSet<string> actions, NameScope scope)
    {
        string action = entry.Action;
        if (!actions.Add(action))
        {
            Report(PlanDiagnostics.DuplicateAction, entry.ActionAt.Start, entry.ActionAt.End, action);
            return null;
        }

        string eventName = entry.Name;
        string className = scope.Claim(eventName, Naming.ToPascalCase(eventName), entry.NameAt, "Event", null, this);

        bool traits = entry.Traits;
        JsonNode? schema = entry.Schema;
        var properties = EquatableArray<PropertyModel>.Empty;
        ExtraModel? extra = null;
        if (schema is not null)
        {
            JsonNode? flat = Flatten(schema, out JsonNode? problemAt, out string? problem);
            if (flat is null || flat.Kind != JsonKind.Object || (flat["type"] is { } t && t.StringValue != "object"))
            {
                JsonNode at = problemAt ?? schema;
                Report(PlanDiagnostics.InvalidPlan, at.Start, at.End, problem ?? $"The {entry.SchemaWhat} of '{action}' must be an object schema (\"type\": \"object\")");
                return null;
            }

            var members = new NameScope(Naming.BaseEventMembers);
            foreach (string reserved in Naming.ObjectMembers)
            {
                members.Reserve(reserved);
            }

            members.Reserve(className);
            properties = ReadProperties(flat, traits ? "traits" : "properties", members, traits ? "Trait" : "Property");
            extra = ReadExtra(flat, traits ? "traits" : "properties", members, null);
        }

        return new EventModel(action, eventName, className, entry.Description, entry.Category, traits, properties) { Extra = extra, HasSchema = schema is not null };
    }

    private EquatableArray<PropertyModel> ReadProperties(JsonNode schema, string path, NameScope scope, string clashSuffix)
    {
        JsonNode? properties = schema["properties"];
        if (properties is null || properties.Kind != JsonKind.Object)
        {
            return EquatableArray<PropertyModel>.Empty;
        }

        var required = new HashSet<string>(StringComparer.Ordinal);
        if (schema["required"] is { Kind: JsonKind.Array } requiredNode)
        {
            foreach (JsonNode item in requiredNode.Items!)
            {
                if (item.StringValue is { } name)
                {
                    required.Add(name);
                    if (properties[name] is null)
                    {
                        Report(PlanDiagnostics.UnknownRequired, item.Start, item.End, name);
                    }
                }
            }
        }

        // Claim every property name first, so nested type names cannot take a property's name.
        var names = new List<(JsonMember Member, string Name)>();
        foreach (JsonMember member in properties.Members!)
        {
            names.Add((member, scope.Claim(member.Name, Naming.ToPascalCase(member.Name), NodeAt(member), "Value", clashSuffix, this)));
        }

        var result = new List<PropertyModel>();
        foreach ((JsonMember member, string name) in names)
        {
            string propertyPath = path + "." + member.Name;
            TypeModel type = MapType(member.Value, member, name, propertyPath, scope);
            result.Add(new PropertyModel(member.Name, name, propertyPath, member.Value["description"]?.StringValue, required.Contains(member.Name), type));
        }

        return result.ToEquatableArray();
    }

    private TypeModel MapType(JsonNode schema, JsonMember property, string propertyName, string path, NameScope scope)
    {
        if (schema.Kind != JsonKind.Object)
        {
            return Unsupported(property, schema, "the schema is not an object");
        }

        if (schema["$ref"] is { } refNode)
        {
            string? reference = refNode.StringValue;
            JsonNode? target = ResolveRef(refNode, out string? why, out string key);
            if (target is null)
            {
                return Unsupported(property, refNode, why!);
            }

            if (!_refsInProgress.Add(key))
            {
                return Unsupported(property, refNode, $"the recursive '$ref' '{reference}'");
            }

            try
            {
                return MapType(target, property, propertyName, path, scope);
            }
            finally
            {
                _refsInProgress.Remove(key);
            }
        }

        if (schema["allOf"] is not null)
        {
            JsonNode? merged = Flatten(schema, out JsonNode? problemAt, out string? why);
            return merged is null ? Unsupported(property, problemAt!, why!) : MapType(merged, property, propertyName, path, scope);
        }

        foreach (string keyword in new[] { "oneOf", "anyOf" })
        {
            if (schema[keyword] is { } node)
            {
                return MapUnion(schema, keyword, node, property, propertyName, path, scope);
            }
        }

        foreach (string keyword in new[] { "not", "if" })
        {
            if (schema[keyword] is { } node)
            {
                return Unsupported(property, node, $"'{keyword}' is not supported");
            }
        }

        JsonNode? enumNode = schema["enum"];
        JsonNode? typeNode = schema["type"];
        string? type;
        bool allowsNull = false;
        if (typeNode is null)
        {
            if (schema["properties"] is not null)
            {
                type = "object";
            }
            else if (enumNode is { Kind: JsonKind.Array, Items.Count: > 0 })
            {
                // An enum without a type: its values say which.
                type = EnumType(enumNode);
                if (type is null)
                {
                    return MixedEnum(property, enumNode);
                }
            }
            else
            {
                return Unsupported(property, schema, "the schema has no 'type'");
            }
        }
        else if (typeNode.Kind == JsonKind.String)
        {
            type = typeNode.Text;
        }
        else if (typeNode.Kind == JsonKind.Array && typeNode.Items!.All(i => i.Kind == JsonKind.String))
        {
            var types = typeNode.Items!.Select(i => i.Text!).ToList();
            allowsNull = types.Remove("null");
            if (types.Count != 1)
            {
                return Unsupported(property, typeNode, types.Count == 0 ? "a value that is always null" : "a union of " + string.Join(" and ", types));
            }

            type = types[0];
        }
        else
        {
            return Unsupported(property, typeNode, "'type' must be a string or an array of strings");
        }

        switch (type)
        {
            case "string":
                if (enumNode is not null)
                {
                    return enumNode.Items?.Any(i => i.Kind is not (JsonKind.String or JsonKind.Null)) == true
                        ? MixedEnum(property, enumNode)
                        : MapEnum(enumNode, property, propertyName, scope, allowsNull, PlanTypeKind.StringEnum);
                }

                string? format = schema["format"]?.StringValue;
                PlanTypeKind kind = format switch
                {
                    "date-time" => PlanTypeKind.DateTime,
                    "date" => PlanTypeKind.Date,
                    "uuid" => PlanTypeKind.Uuid,
                    "uri" => PlanTypeKind.Uri,
                    _ => PlanTypeKind.String,
                };
                return Simple(kind, allowsNull) with { Rule = ReadRule(schema, property, kind == PlanTypeKind.String && format == "email" ? "email" : null) };
            case "integer":
                return enumNode is not null
                    ? MapEnum(enumNode, property, propertyName, scope, allowsNull, PlanTypeKind.IntegerEnum)
                    : Simple(PlanTypeKind.Integer, allowsNull) with { Rule = ReadRule(schema, property, null) };
            case "number":
                if (enumNode is not null)
                {
                    return MixedEnum(property, enumNode);
                }

                return Simple(schema["format"]?.StringValue == "decimal" ? PlanTypeKind.Decimal : PlanTypeKind.Number, allowsNull) with { Rule = ReadRule(schema, property, null) };
            case "boolean":
                return Simple(PlanTypeKind.Boolean, allowsNull);
            case "object":
                if (schema["properties"] is not { Kind: JsonKind.Object })
                {
                    // A map (additionalProperties states its values), or a free-form object: its JSON as it came.
                    if (schema["additionalProperties"] is { } values && values.Kind is JsonKind.Object or JsonKind.True)
                    {
                        TypeModel value = values.Kind == JsonKind.True ? Simple(PlanTypeKind.Raw, false) : MapType(values, property, Naming.Singular(propertyName), path + ".*", scope);
                        return new TypeModel(PlanTypeKind.Map, allowsNull, null, EquatableArray<EnumMemberModel>.Empty, EquatableArray<PropertyModel>.Empty, value);
                    }

                    return Simple(PlanTypeKind.Raw, allowsNull);
                }

                string className = scope.Claim(property.Name, propertyName + "Info", NodeAt(property), "Value", null, this);
                var members = new NameScope(Naming.ObjectMembers);
                members.Reserve(className);
                EquatableArray<PropertyModel> objectProperties = ReadProperties(schema, path, members, "Value");
                return new TypeModel(PlanTypeKind.Object, allowsNull, className, EquatableArray<EnumMemberModel>.Empty, objectProperties, null)
                {
                    Extra = ReadExtra(schema, path, members, property),
                };
            case "array":
                JsonNode? items = schema["items"];
                TypeModel item = items is null
                    ? Simple(PlanTypeKind.Raw, false)
                    : MapType(items, property, Naming.Singular(propertyName), path + "[]", scope);
                return new TypeModel(PlanTypeKind.Array, allowsNull, null, EquatableArray<EnumMemberModel>.Empty, EquatableArray<PropertyModel>.Empty, item);
            case "null":
                return Unsupported(property, typeNode!, "a value that is always null");
            default:
                return Unsupported(property, typeNode!, $"the type '{type}' is not a JSON Schema type");
        }
    }

    /// <summary>The type every value of an enum has (<c>string</c> or <c>integer</c>, nulls aside); null when they are mixed or other.</summary>
    private static string? EnumType(JsonNode enumNode)
    {
        var values = enumNode.Items!.Where(i => i.Kind != JsonKind.Null).ToList();
        if (values.Count == 0)
        {
            return null;
        }

        if (values.All(i => i.Kind == JsonKind.String))
        {
            return "string";
        }

        return values.All(i => i.Kind == JsonKind.Number && long.TryParse(i.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)) ? "integer" : null;
    }

    /// <summary>An enum whose values are not all strings or all integers: a <c>JsonElement</c>, checked against the values, with a warning.</summary>
    private TypeModel MixedEnum(JsonMember property, JsonNode enumNode)
    {
        if (enumNode.Kind != JsonKind.Array || enumNode.Items!.Count == 0)
        {
            return Unsupported(property, enumNode, "'enum' must be a non-empty array");
        }

        string kinds = string.Join(" and ", enumNode.Items!.Select(i => i.Kind switch
        {
            JsonKind.String => "string",
            JsonKind.Number => "number",
            JsonKind.True or JsonKind.False => "boolean",
            JsonKind.Null => "null",
            JsonKind.Array => "array",
            _ => "object",
        }).Distinct());
        TypeModel raw = Unsupported(property, enumNode, $"an 'enum' of mixed types ({kinds}); values outside it are reported");
        var allowed = enumNode.Items!.Select(i => SourceAt(i.Start) is { } source ? source.Text.Substring(i.Start - source.Offset, i.End - i.Start) : string.Empty);
        return raw with { Rule = new RuleModel(null, false, null, false, null, null, null, null, allowed.ToEquatableArray()) };
    }

    /// <summary>
    /// <c>minimum</c>/<c>maximum</c> (with draft-04 boolean or draft-06+ numeric <c>exclusive…</c>), <c>minLength</c>,
    /// <c>maxLength</c>, <c>pattern</c> and a checked <paramref name="format"/>; null when the schema states none.
    /// </summary>
    private RuleModel? ReadRule(JsonNode schema, JsonMember property, string? format)
    {
        string? minimum = Number(schema["minimum"]);
        string? maximum = Number(schema["maximum"]);
        bool exclusiveMinimum = false;
        bool exclusiveMaximum = false;
        switch (schema["exclusiveMinimum"])
        {
            case { Kind: JsonKind.True }:
                exclusiveMinimum = minimum is not null;
                break;
            case { Kind: JsonKind.Number } n:
                minimum = n.Text;
                exclusiveMinimum = true;
                break;
        }

        switch (schema["exclusiveMaximum"])
        {
            case { Kind: JsonKind.True }:
                exclusiveMaximum = maximum is not null;
                break;
            case { Kind: JsonKind.Number } n:
                maximum = n.Text;
                exclusiveMaximum = true;
                break;
        }

        string? pattern = schema["pattern"]?.StringValue;
        if (pattern is not null)
        {
            try
            {
                _ = new System.Text.RegularExpressions.Regex(pattern, System.Text.RegularExpressions.RegexOptions.CultureInvariant);
            }
            catch (ArgumentException ex)
            {
                JsonNode at = schema["pattern"]!;
                Report(PlanDiagnostics.UncheckedKeyword, at.Start, at.End, property.Name, $"the 'pattern' is not a regular expression .NET reads ({ex.Message})");
                pattern = null;
            }
        }

        var rule = new RuleModel(minimum, exclusiveMinimum, maximum, exclusiveMaximum, Length(schema["minLength"]), Length(schema["maxLength"]), pattern, format, EquatableArray<string>.Empty);
        return rule.IsEmpty ? null : rule;

        static string? Number(JsonNode? node) => node is { Kind: JsonKind.Number } ? node.Text : null;

        static int? Length(JsonNode? node)
            => node is { Kind: JsonKind.Number } && int.TryParse(node.Text, NumberStyles.None, CultureInfo.InvariantCulture, out int length) ? length : null;
    }

    /// <summary>
    /// <c>additionalProperties</c> of an object with properties: a schema or <c>true</c> collects the other members into a
    /// dictionary property; <c>false</c> reports them. Absent: they are skipped, as JSON Schema allows them.
    /// </summary>
    private ExtraModel? ReadExtra(JsonNode schema, string path, NameScope scope, JsonMember? owner)
    {
        JsonNode? node = schema["additionalProperties"];
        switch (node?.Kind)
        {
            case JsonKind.False:
                return new ExtraModel(null, null, Closed: true, path);
            case JsonKind.True:
            case JsonKind.Object:
                JsonMember member = new("additionalProperties", node.Start, node.Start, node);
                string name = scope.Claim("additionalProperties", "AdditionalProperties", NodeAt(member), "Value", owner is null ? "Value" : null, this);
                TypeModel value = node.Kind == JsonKind.True ? Simple(PlanTypeKind.Raw, false) : MapType(node, owner ?? member, "Additional", path + ".*", scope);
                return new ExtraModel(value, name, Closed: false, path);
            default:
                return null;
        }
    }

    /// <summary>
    /// <c>oneOf</c>/<c>anyOf</c> of objects told apart by a property whose value each states with <c>const</c> (or a
    /// one-value <c>enum</c>): an abstract class with a sealed class per case, decoded by that property.
    /// </summary>
    private TypeModel MapUnion(JsonNode schema, string keyword, JsonNode node, JsonMember property, string propertyName, string path, NameScope scope)
    {
        string unsupported = $"'{keyword}' is supported only of objects told apart by a property with a string 'const'";
        if (node.Kind != JsonKind.Array || node.Items!.Count == 0)
        {
            return Unsupported(property, node, $"'{keyword}' must be a non-empty array");
        }

        var cases = new List<JsonNode>();
        foreach (JsonNode item in node.Items!)
        {
            JsonNode? flat = Flatten(item, out JsonNode? problemAt, out string? why);
            if (flat is null)
            {
                return Unsupported(property, problemAt!, why!);
            }

            if (flat.Kind != JsonKind.Object || flat["properties"] is not { Kind: JsonKind.Object })
            {
                return Unsupported(property, node, unsupported);
            }

            cases.Add(flat);
        }

        string? discriminator = cases[0]["properties"]!.Members!
            .Select(m => m.Name)
            .FirstOrDefault(name =>
            {
                var values = cases.Select(c => ConstOf(c["properties"]![name])).ToList();
                return values.All(v => v is not null) && values.Distinct(StringComparer.Ordinal).Count() == values.Count;
            });
        if (discriminator is null)
        {
            return Unsupported(property, node, unsupported);
        }

        bool allowsNull = schema["type"] is { Kind: JsonKind.Array } t && t.Items!.Any(i => i.StringValue == "null");
        string baseName = scope.Claim(property.Name, propertyName + "Info", NodeAt(property), "Value", null, this);
        var baseScope = new NameScope(Naming.ObjectMembers);
        baseScope.Reserve(baseName);
        baseScope.Reserve("ReadUnion");
        JsonMember discriminatorMember = cases[0]["properties"]!.Members!.First(m => m.Name == discriminator);
        string discriminatorName = baseScope.Claim(discriminator, Naming.ToPascalCase(discriminator), NodeAt(discriminatorMember), "Value", null, this);
        var caseModels = new List<UnionCaseModel>();
        foreach (JsonNode c in cases)
        {
            JsonNode discriminatorSchema = c["properties"]![discriminator]!;
            string value = ConstOf(discriminatorSchema)!;
            string caseName = baseScope.Claim(value, Naming.ToPascalCase(value), discriminatorSchema, "Case", null, this);
            var members = new NameScope(Naming.ObjectMembers);
            members.Reserve(caseName);
            members.Reserve(baseName);
            members.Reserve(discriminatorName);
            members.Reserve("ReadUnion");
            var withoutDiscriminator = new JsonNode(JsonKind.Object, c.Start)
            {
                End = c.End,
                Members = [.. c.Members!.Select(m => m.Name switch
                {
                    "properties" => new JsonMember("properties", m.NameStart, m.NameEnd, new JsonNode(JsonKind.Object, m.Value.Start)
                    {
                        End = m.Value.End,
                        Members = [.. m.Value.Members!.Where(p => p.Name != discriminator)],
                    }),
                    "required" when m.Value.Kind == JsonKind.Array => new JsonMember("required", m.NameStart, m.NameEnd, new JsonNode(JsonKind.Array, m.Value.Start)
                    {
                        End = m.Value.End,
                        Items = [.. m.Value.Items!.Where(i => i.StringValue != discriminator)],
                    }),
                    _ => m,
                })],
            };
            EquatableArray<PropertyModel> properties = ReadProperties(withoutDiscriminator, path, members, "Value");
            var caseType = new TypeModel(PlanTypeKind.Object, false, caseName, EquatableArray<EnumMemberModel>.Empty, properties, null)
            {
                Extra = ReadExtra(c, path, members, property),
            };
            caseModels.Add(new UnionCaseModel(value, caseType));
        }

        return new TypeModel(PlanTypeKind.Union, allowsNull, baseName, EquatableArray<EnumMemberModel>.Empty, EquatableArray<PropertyModel>.Empty, null)
        {
            Discriminator = discriminator,
            DiscriminatorName = discriminatorName,
            Cases = caseModels.ToEquatableArray(),
        };

        static string? ConstOf(JsonNode? schema)
            => schema is not { Kind: JsonKind.Object } ? null
                : schema["const"] is { Kind: JsonKind.String } c ? c.Text
                : schema["enum"] is { Kind: JsonKind.Array } e && e.Items!.Count == 1 && e.Items[0].Kind == JsonKind.String ? e.Items[0].Text
                : null;
    }

    private TypeModel MapEnum(JsonNode enumNode, JsonMember property, string propertyName, NameScope scope, bool allowsNull, PlanTypeKind kind)
    {
        JsonKind wireKind = kind == PlanTypeKind.StringEnum ? JsonKind.String : JsonKind.Number;
        if (enumNode.Kind != JsonKind.Array || enumNode.Items!.Count == 0
            || enumNode.Items!.Any(i => i.Kind != wireKind && i.Kind != JsonKind.Null)
            || (kind == PlanTypeKind.IntegerEnum && enumNode.Items!.Any(i => i.Kind == JsonKind.Number && !long.TryParse(i.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))))
        {
            return Unsupported(property, enumNode, kind == PlanTypeKind.StringEnum ? "'enum' values must all be strings" : "'enum' values must all be integers");
        }

        string enumName = scope.Claim(property.Name, propertyName + "Kind", NodeAt(property), "Value", null, this);
        var memberScope = new NameScope(Naming.ObjectMembers);
        var members = new List<EnumMemberModel>();
        foreach (JsonNode value in enumNode.Items!)
        {
            if (value.Kind == JsonKind.Null)
            {
                allowsNull = true;
                continue;
            }

            string? pascal = kind == PlanTypeKind.StringEnum ? Naming.ToPascalCase(value.Text!) : "Value" + value.Text!.Replace("-", "Minus");
            members.Add(new EnumMemberModel(value.Text!, memberScope.Claim(value.Text!, pascal, value, "Value", null, this)));
        }

        return new TypeModel(kind, allowsNull, enumName, members.ToEquatableArray(), EquatableArray<PropertyModel>.Empty, null);
    }

    private static TypeModel Simple(PlanTypeKind kind, bool allowsNull)
        => new(kind, allowsNull, null, EquatableArray<EnumMemberModel>.Empty, EquatableArray<PropertyModel>.Empty, null);

    private TypeModel Unsupported(JsonMember property, JsonNode at, string why)
    {
        Report(PlanDiagnostics.UnsupportedConstruct, at.Start, at.End, property.Name, why);
        return Simple(PlanTypeKind.Raw, true);
    }

    private static JsonNode NodeAt(JsonMember member) => new(JsonKind.String, member.NameStart) { End = member.NameEnd };

    internal void Report(string id, int start, int end, params string[] arguments)
    {
        PlanSource source = SourceAt(start);
        int length = source.Text.Length;
        start = Math.Max(0, Math.Min(start - source.Offset, length));
        end = Math.Max(start, Math.Min(end - source.Offset, length));
        (int startLine, int startColumn) = source.LineColumn(start);
        (int endLine, int endColumn) = source.LineColumn(end);
        var location = new LocationInfo(source.Path, start, end, startLine, startColumn, endLine, endColumn);
        _diagnostics.Add(new DiagnosticInfo(id, location, arguments.ToEquatableArray()));
    }

    /// <summary>The file a position is in (positions are offset per file, see <see cref="PlanSource.Offset"/>).</summary>
    private PlanSource SourceAt(int position)
    {
        PlanSource found = _source;
        foreach (PlanSource source in _sources)
        {
            if (source.Offset <= position)
            {
                found = source;
            }
        }

        return found;
    }

    /// <summary>Parses a file into the next range of positions; throws <see cref="JsonParseException"/> when it is not JSON.</summary>
    private PlanSource AddSource(string path, string text, bool parse = true, string? locatedText = null)
    {
        int offset = _nextOffset;
        JsonNode root = parse ? JsonParser.Parse(text, offset) : new JsonNode(JsonKind.Null, offset);
        var source = new PlanSource(path, locatedText ?? text, root, offset);
        _nextOffset = offset + (locatedText ?? text).Length + 1;
        _sources.Add(source);
        return source;
    }

    private PlanSource? ReferencedFileAlreadyRead(string path)
        => _sources.FirstOrDefault(s => string.Equals(s.Path, path, StringComparison.Ordinal));

    /// <summary>The names taken in one generated class, and the rules for taking another.</summary>
    private sealed class NameScope(HashSet<string> baseMembers)
    {
        private readonly HashSet<string> _used = new(StringComparer.Ordinal);

        public void Reserve(string name) => _used.Add(name);

        /// <param name="source">The plan's text for the thing being named.</param>
        /// <param name="desired">The name it would get, or null when it yields no identifier.</param>
        /// <param name="at">Where the plan names it.</param>
        /// <param name="fallback">The prefix used when the name is unusable.</param>
        /// <param name="clashSuffix">The suffix used when the name is a base-event member; null when the base does not apply.</param>
        public string Claim(string source, string? desired, JsonNode at, string fallback, string? clashSuffix, PlanParser parser)
        {
            string name;
            if (desired is null)
            {
                name = fallback;
                parser.Report(PlanDiagnostics.InvalidName, at.Start, at.End, source, Unique(name));
                return Take(Unique(name));
            }

            if (Naming.StartsWithDigit(desired))
            {
                name = fallback + desired;
                parser.Report(PlanDiagnostics.InvalidName, at.Start, at.End, source, Unique(name));
                return Take(Unique(name));
            }

            name = desired;
            if (clashSuffix is not null && baseMembers.Contains(name))
            {
                string renamed = Unique(name + clashSuffix);
                parser.Report(PlanDiagnostics.BaseMemberClash, at.Start, at.End, source, name, renamed);
                return Take(renamed);
            }

            if (_used.Contains(name) || (clashSuffix is null && baseMembers.Contains(name)))
            {
                string renamed = Unique(name);
                parser.Report(PlanDiagnostics.DuplicateName, at.Start, at.End, source, name, renamed);
                return Take(renamed);
            }

            return Take(name);
        }

        private string Unique(string name)
        {
            if (!_used.Contains(name) && !baseMembers.Contains(name))
            {
                return name;
            }

            for (int i = 2; ; i++)
            {
                string candidate = name + i.ToString(CultureInfo.InvariantCulture);
                if (!_used.Contains(candidate))
                {
                    return candidate;
                }
            }
        }

        private string Take(string name)
        {
            _used.Add(name);
            return name;
        }
    }
}
