using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using EventStream.Generators.Json;
using EventStream.Generators.Model;
using Microsoft.CodeAnalysis.Text;

namespace EventStream.Generators;

/// <summary>
/// Reads a tracking plan into a <see cref="PlanModel"/>: ours (Intilery's <c>tracking-plan.json</c>), Segment Protocols,
/// Avo, Snowplow Iglu or plain JSON Schema (see <c>TrackingPlanGenerator.Formats.cs</c>). Every format is first read into
/// <see cref="PlanEntry"/> items, so names, types and diagnostics come out the same whatever the format.
/// </summary>
internal sealed partial class PlanParser
{
    private readonly PlanTarget _target;
    private readonly List<DiagnosticInfo> _diagnostics = [];
    private readonly HashSet<string> _refsInProgress = new(StringComparer.Ordinal);
    private JsonNode _refRoot = new(JsonKind.Null, 0);
    private PlanSource _source = new(string.Empty, SourceText.From(string.Empty), new JsonNode(JsonKind.Null, 0));

    private PlanParser(PlanTarget target) => _target = target;

    public static PlanResult Parse(PlanTarget target, ImmutableArray<PlanFile> files, string? projectDirectory, CancellationToken cancellationToken)
    {
        if (target.Problem is not null)
        {
            return new PlanResult(null, ImmutableArray.Create(target.Problem).ToEquatableArray());
        }

        List<PlanFile> found = FindFiles(target, files, projectDirectory);
        if (found.Count == 0)
        {
            var notFound = new DiagnosticInfo(DiagnosticDescriptors.PlanFileNotFound.Id, target.AttributeLocation, new[] { target.PlanPath }.ToEquatableArray());
            return new PlanResult(null, new[] { notFound }.ToEquatableArray());
        }

        var parser = new PlanParser(target);
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
            var text = SourceText.From(file.Text);
            _source = new PlanSource(file.Path, text, new JsonNode(JsonKind.Null, 0));
            JsonNode root;
            try
            {
                root = JsonParser.Parse(file.Text);
            }
            catch (JsonParseException ex)
            {
                Report(DiagnosticDescriptors.InvalidJson.Id, ex.Position, ex.Position, files.Count == 1 ? _target.PlanPath : FileName(file.Path), ex.Message);
                continue;
            }

            _source = new PlanSource(file.Path, text, root);
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
            Report(DiagnosticDescriptors.DuplicateAction.Id, entry.ActionAt.Start, entry.ActionAt.End, action);
            return null;
        }

        string eventName = entry.Name;
        string className = scope.Claim(eventName, Naming.ToPascalCase(eventName), entry.NameAt, "Event", null, this);

        bool traits = entry.Traits;
        JsonNode? schema = entry.Schema;
        var properties = EquatableArray<PropertyModel>.Empty;
        if (schema is not null)
        {
            JsonNode? flat = Flatten(schema, out JsonNode? problemAt, out string? problem);
            if (flat is null || flat.Kind != JsonKind.Object || (flat["type"] is { } t && t.StringValue != "object"))
            {
                JsonNode at = problemAt ?? schema;
                Report(DiagnosticDescriptors.InvalidPlan.Id, at.Start, at.End, problem ?? $"The {entry.SchemaWhat} of '{action}' must be an object schema (\"type\": \"object\")");
                return null;
            }

            var members = new NameScope(Naming.BaseEventMembers);
            foreach (string reserved in Naming.ObjectMembers)
            {
                members.Reserve(reserved);
            }

            members.Reserve(className);
            properties = ReadProperties(flat, traits ? "traits" : "properties", members, traits ? "Trait" : "Property");
        }

        return new EventModel(action, eventName, className, entry.Description, entry.Category, traits, properties);
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
                        Report(DiagnosticDescriptors.UnknownRequired.Id, item.Start, item.End, name);
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
            JsonNode? target = ResolveRef(refNode, out string? why);
            if (target is null)
            {
                return Unsupported(property, refNode, why!);
            }

            if (!_refsInProgress.Add(reference!))
            {
                return Unsupported(property, refNode, $"the recursive '$ref' '{reference}'");
            }

            try
            {
                return MapType(target, property, propertyName, path, scope);
            }
            finally
            {
                _refsInProgress.Remove(reference!);
            }
        }

        if (schema["allOf"] is not null)
        {
            JsonNode? merged = Flatten(schema, out JsonNode? problemAt, out string? why);
            return merged is null ? Unsupported(property, problemAt!, why!) : MapType(merged, property, propertyName, path, scope);
        }

        foreach (string keyword in new[] { "oneOf", "anyOf", "not", "if" })
        {
            if (schema[keyword] is { } node)
            {
                return Unsupported(property, node, $"'{keyword}' is not supported");
            }
        }

        JsonNode? typeNode = schema["type"];
        string? type;
        bool allowsNull = false;
        if (typeNode is null)
        {
            if (schema["properties"] is not null)
            {
                type = "object";
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

        JsonNode? enumNode = schema["enum"];
        switch (type)
        {
            case "string":
                if (enumNode is not null)
                {
                    return MapEnum(enumNode, property, propertyName, scope, allowsNull, PlanTypeKind.StringEnum);
                }

                return Simple(schema["format"]?.StringValue switch
                {
                    "date-time" => PlanTypeKind.DateTime,
                    "uuid" => PlanTypeKind.Uuid,
                    _ => PlanTypeKind.String,
                }, allowsNull);
            case "integer":
                return enumNode is not null
                    ? MapEnum(enumNode, property, propertyName, scope, allowsNull, PlanTypeKind.IntegerEnum)
                    : Simple(PlanTypeKind.Integer, allowsNull);
            case "number":
                if (enumNode is not null)
                {
                    return Unsupported(property, enumNode, "'enum' on a number");
                }

                return Simple(schema["format"]?.StringValue == "decimal" ? PlanTypeKind.Decimal : PlanTypeKind.Number, allowsNull);
            case "boolean":
                return Simple(PlanTypeKind.Boolean, allowsNull);
            case "object":
                if (schema["properties"] is not { Kind: JsonKind.Object })
                {
                    return Simple(PlanTypeKind.Raw, allowsNull); // a free-form object: its JSON as it came
                }

                string className = scope.Claim(property.Name, propertyName + "Info", NodeAt(property), "Value", null, this);
                var members = new NameScope(Naming.ObjectMembers);
                members.Reserve(className);
                return new TypeModel(PlanTypeKind.Object, allowsNull, className, EquatableArray<EnumMemberModel>.Empty, ReadProperties(schema, path, members, "Value"), null);
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
        Report(DiagnosticDescriptors.UnsupportedConstruct.Id, at.Start, at.End, property.Name, why);
        return Simple(PlanTypeKind.Raw, true);
    }

    private static JsonNode NodeAt(JsonMember member) => new(JsonKind.String, member.NameStart) { End = member.NameEnd };

    internal void Report(string id, int start, int end, params string[] arguments)
    {
        SourceText text = _source.Text;
        var span = TextSpan.FromBounds(Math.Min(start, text.Length), Math.Min(Math.Max(start, end), text.Length));
        var location = new LocationInfo(_source.Path, span, text.Lines.GetLinePositionSpan(span));
        _diagnostics.Add(new DiagnosticInfo(id, location, arguments.ToEquatableArray()));
    }

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
                parser.Report(DiagnosticDescriptors.InvalidName.Id, at.Start, at.End, source, Unique(name));
                return Take(Unique(name));
            }

            if (Naming.StartsWithDigit(desired))
            {
                name = fallback + desired;
                parser.Report(DiagnosticDescriptors.InvalidName.Id, at.Start, at.End, source, Unique(name));
                return Take(Unique(name));
            }

            name = desired;
            if (clashSuffix is not null && baseMembers.Contains(name))
            {
                string renamed = Unique(name + clashSuffix);
                parser.Report(DiagnosticDescriptors.BaseMemberClash.Id, at.Start, at.End, source, name, renamed);
                return Take(renamed);
            }

            if (_used.Contains(name) || (clashSuffix is null && baseMembers.Contains(name)))
            {
                string renamed = Unique(name);
                parser.Report(DiagnosticDescriptors.DuplicateName.Id, at.Start, at.End, source, name, renamed);
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
