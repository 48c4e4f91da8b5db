using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using EventStream.Generators.Json;
using EventStream.Generators.Model;

namespace EventStream.Generators;

/// <summary>
/// A plan file being read: its path, its text (for locations), its parsed root (for local <c>$ref</c>s) and the offset its
/// node positions start at (each file read gets its own range, so a position alone says which file it is in).
/// </summary>
internal sealed class PlanSource(string path, string text, JsonNode root, int offset)
{
    private int[]? _lineStarts;

    public string Path { get; } = path;

    public string Text { get; } = text;

    public JsonNode Root { get; } = root;

    public int Offset { get; } = offset;

    /// <summary>The zero-based line and column of a position in <see cref="Text"/> (lines end at <c>\r\n</c>, <c>\n</c> or <c>\r</c>).</summary>
    public (int Line, int Column) LineColumn(int position)
    {
        _lineStarts ??= LineStarts(Text);
        int line = Array.BinarySearch(_lineStarts, position);
        line = line >= 0 ? line : ~line - 1;
        return (line, position - _lineStarts[line]);
    }

    private static int[] LineStarts(string text)
    {
        var starts = new List<int> { 0 };
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.Length || text[i + 1] != '\n')))
            {
                starts.Add(i + 1);
            }
        }

        return [.. starts];
    }
}

/// <summary>One event as any format states it, before names are claimed and types mapped.</summary>
internal sealed class PlanEntry
{
    public required PlanSource Source { get; init; }

    public required string Action { get; init; }

    public required JsonNode ActionAt { get; init; }

    public required string Name { get; init; }

    public required JsonNode NameAt { get; init; }

    public string? Description { get; init; }

    public string? Category { get; init; }

    public bool Traits { get; init; }

    /// <summary>The object schema of the event's properties (or traits); null when the plan gives none.</summary>
    public JsonNode? Schema { get; init; }

    /// <summary>How a message names <see cref="Schema"/> (e.g. <c>'properties'</c>).</summary>
    public string SchemaWhat { get; init; } = "'properties'";

    /// <summary>The document a local <c>$ref</c> in <see cref="Schema"/> resolves against (the rules, the schema file, or our plan).</summary>
    public required JsonNode RefRoot { get; init; }

    /// <summary>The event's version (Iglu SchemaVer, Segment rule version), when several may be given; the latest wins.</summary>
    public (int Model, int Revision, int Addition)? Version { get; init; }
}

internal sealed partial class PlanParser
{
    /// <summary>The <c>PlanFormat</c> values of the attribute (EventStream.Typed.PlanFormat).</summary>
    private enum Format
    {
        Auto = 0,
        Intilery = 1,
        Segment = 2,
        Avo = 3,
        JsonSchema = 4,
        Iglu = 5,
    }

    /// <summary>The vendor keywords that override what a format implies, on an event or at a schema's root.</summary>
    internal const string ActionKeyword = "x-intilery-action";

    internal const string CategoryKeyword = "x-intilery-category";

    private static readonly Regex IgluPath = new(@"/jsonschema/\d+-\d+-\d+$", RegexOptions.CultureInvariant);

    /// <summary>Which AdditionalFiles can be plans: <c>*.json</c>, and Iglu registry files (<c>vendor/name/jsonschema/1-0-0</c>).</summary>
    public static bool IsPlanFile(string path)
        => path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || IgluPath.IsMatch(Normalize(path));

    /// <summary>
    /// The files the attribute names: one file (see <see cref="FindFile"/>); else, for a path with <c>*</c> (<c>**</c>
    /// crosses directories), the files matching it; else, for a directory, the files under it. Sorted by path.
    /// </summary>
    internal static List<PlanFile> FindFiles(PlanTarget target, ImmutableArray<PlanFile> files, string? projectDirectory)
    {
        if (FindFile(target, files, projectDirectory) is { } single)
        {
            return [single];
        }

        string wanted = Normalize(target.PlanPath).TrimEnd('/');
        if (wanted.Length == 0)
        {
            return [];
        }

        var roots = new List<string>();
        if (IsRooted(wanted))
        {
            roots.Add(wanted);
        }
        else
        {
            if (!string.IsNullOrEmpty(projectDirectory))
            {
                roots.Add(Combine(projectDirectory!, wanted));
            }

            if (!string.IsNullOrEmpty(target.SourceDirectory))
            {
                roots.Add(Combine(target.SourceDirectory, wanted));
            }
        }

        bool glob = wanted.IndexOf('*') >= 0 || wanted.IndexOf('?') >= 0;
        foreach (string root in roots)
        {
            List<PlanFile> matched = glob
                ? files.Where(f => GlobRegex(root).IsMatch(Combine(Normalize(f.Path), string.Empty))).ToList()
                : files.Where(f => Combine(Normalize(f.Path), string.Empty).StartsWith(root + "/", StringComparison.OrdinalIgnoreCase)).ToList();
            if (matched.Count > 0)
            {
                return [.. matched.OrderBy(f => Normalize(f.Path), StringComparer.Ordinal)];
            }
        }

        // As for one file, a relative directory may be given from anywhere above it.
        string relative = wanted.StartsWith("./", StringComparison.Ordinal) ? wanted.Substring(2) : wanted;
        if (!IsRooted(relative))
        {
            Regex? pattern = glob ? GlobRegex("(?:.*/)?" + relative, escapedPrefix: true) : null;
            List<PlanFile> matched = files
                .Where(f => pattern is not null
                    ? pattern.IsMatch(Normalize(f.Path))
                    : ("/" + Normalize(f.Path)).IndexOf("/" + relative + "/", StringComparison.OrdinalIgnoreCase) >= 0)
                .OrderBy(f => Normalize(f.Path), StringComparer.Ordinal)
                .ToList();
            return matched;
        }

        return [];
    }

    private static Regex GlobRegex(string pattern, bool escapedPrefix = false)
    {
        var builder = new StringBuilder("^");
        int start = 0;
        if (escapedPrefix)
        {
            builder.Append("(?:.*/)?");
            start = "(?:.*/)?".Length;
        }

        for (int i = start; i < pattern.Length; i++)
        {
            char c = pattern[i];
            if (c == '*' && i + 1 < pattern.Length && pattern[i + 1] == '*')
            {
                builder.Append(".*");
                i++;
                if (i + 1 < pattern.Length && pattern[i + 1] == '/')
                {
                    i++;
                    builder.Append("/?");
                }
            }
            else if (c == '*')
            {
                builder.Append("[^/]*");
            }
            else if (c == '?')
            {
                builder.Append("[^/]");
            }
            else
            {
                builder.Append(Regex.Escape(c.ToString()));
            }
        }

        return new Regex(builder.Append('$').ToString(), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    /// <summary>Reads one file's events into <paramref name="entries"/>; false (with a diagnostic) when it is no plan.</summary>
    private bool ReadEntries(JsonNode root, List<PlanEntry> entries)
    {
        Format format = (Format)_target.Format;
        if (format == Format.Auto)
        {
            format = Detect(root);
        }

        if (root.Kind != JsonKind.Object)
        {
            Report(PlanDiagnostics.InvalidPlan, root.Start, root.End, "A tracking plan is a JSON object");
            return false;
        }

        switch (format)
        {
            case Format.Intilery:
                return ReadIntilery(root, entries);
            case Format.Segment:
            case Format.Avo:
                return ReadSegmentOrAvo(root, entries, format == Format.Avo ? "An Avo plan" : "A Segment Protocols plan");
            case Format.Iglu:
                return ReadIglu(root, entries);
            case Format.JsonSchema:
                return ReadJsonSchema(root, entries);
            default:
                Report(
                    PlanDiagnostics.InvalidPlan,
                    root.Start,
                    root.Start + 1,
                    "The file is not a tracking plan in a known format: an object with an 'events' array (ours, Segment Protocols, Avo), a 'rules' array (Segment's API), 'self' (Snowplow Iglu) or an object JSON Schema; name the format with [TrackingPlan(..., Format = PlanFormat.…)]");
                return false;
        }
    }

    /// <summary>
    /// Detects a file's format from its content: <c>self</c> → Iglu; <c>events[]</c> whose items have <c>action</c> → ours,
    /// <c>rules</c> → Segment (Avo when the rules' <c>$schema</c> is draft-06); a root <c>rules[]</c> → Segment's API form;
    /// an object schema (<c>$schema</c>, <c>type</c> or <c>properties</c>) → plain JSON Schema.
    /// </summary>
    private static Format Detect(JsonNode root)
    {
        if (root.Kind != JsonKind.Object)
        {
            return Format.Auto;
        }

        if (root["self"] is { Kind: JsonKind.Object } self && self["vendor"] is not null && self["name"] is not null)
        {
            return Format.Iglu;
        }

        if (root["events"] is { Kind: JsonKind.Array } events)
        {
            JsonNode? first = events.Items!.FirstOrDefault(i => i.Kind == JsonKind.Object);
            if (first is null || first["action"] is not null || first["rules"] is null)
            {
                return Format.Intilery;
            }

            return first["rules"] is { Kind: JsonKind.Object } rules && rules["$schema"]?.StringValue is { } draft && draft.IndexOf("draft-06", StringComparison.Ordinal) >= 0
                ? Format.Avo
                : Format.Segment;
        }

        if (SegmentRules(root) is not null)
        {
            return Format.Segment;
        }

        if (root["$schema"] is not null || root["properties"] is not null || root["type"]?.StringValue == "object" || root["allOf"] is not null)
        {
            return Format.JsonSchema;
        }

        return Format.Auto;
    }

    private static JsonNode? SegmentRules(JsonNode root)
        => root["rules"] is { Kind: JsonKind.Array } rules ? rules
            : root["data"] is { Kind: JsonKind.Object } data && data["rules"] is { Kind: JsonKind.Array } dataRules ? dataRules
            : root["tracking_plan"] is { Kind: JsonKind.Object } plan && plan["rules"] is { Kind: JsonKind.Array } planRules ? planRules
            : null;

    private bool ReadIntilery(JsonNode root, List<PlanEntry> entries)
    {
        JsonNode? events = root["events"];
        if (events is null || events.Kind != JsonKind.Array)
        {
            Report(PlanDiagnostics.InvalidPlan, root.Start, root.Start + 1, "A tracking plan is an object with an 'events' array");
            return false;
        }

        foreach (JsonNode entry in events.Items!)
        {
            if (entry.Kind != JsonKind.Object)
            {
                Report(PlanDiagnostics.InvalidPlan, entry.Start, entry.End, "An event in 'events' must be an object");
                continue;
            }

            JsonNode? actionNode = entry["action"];
            string? action = actionNode?.StringValue;
            if (action is null || action.Length == 0)
            {
                JsonNode at = actionNode ?? entry;
                Report(PlanDiagnostics.InvalidPlan, at.Start, actionNode is null ? at.Start + 1 : at.End, "An event needs a non-empty string 'action'");
                continue;
            }

            JsonNode? nameNode = entry["name"];
            string? category = entry["category"]?.StringValue;
            entries.Add(new PlanEntry
            {
                Source = _source,
                Action = action,
                ActionAt = actionNode!,
                Name = nameNode?.StringValue ?? action,
                NameAt = nameNode?.Kind == JsonKind.String ? nameNode : actionNode!,
                Description = entry["description"]?.StringValue,
                Category = category,
                Traits = string.Equals(category, "identify", StringComparison.Ordinal),
                Schema = entry["properties"],
                RefRoot = root,
            });
        }

        return true;
    }

    /// <summary>
    /// Segment Protocols' export (<c>events[]</c> of <c>name</c>, <c>description</c>, <c>rules</c>) and its API form
    /// (<c>rules[]</c> of <c>key</c>, <c>type</c>, <c>version</c>, <c>json_schema</c>); Avo's export has the first shape.
    /// The rules schema wraps the payload: <c>properties.properties</c> (track), <c>properties.traits</c> or
    /// <c>properties.context.properties.traits</c> (identify); a rules schema without that wrapper is the payload itself.
    /// </summary>
    private bool ReadSegmentOrAvo(JsonNode root, List<PlanEntry> entries, string what)
    {
        if (root["events"] is { Kind: JsonKind.Array } events)
        {
            foreach (JsonNode entry in events.Items!)
            {
                if (entry.Kind != JsonKind.Object || entry["name"] is not { Kind: JsonKind.String } nameNode || nameNode.Text!.Length == 0)
                {
                    JsonNode at = entry.Kind == JsonKind.Object && entry["name"] is { } n ? n : entry;
                    Report(PlanDiagnostics.InvalidPlan, at.Start, at.End, $"{what}'s events need a non-empty string 'name'");
                    continue;
                }

                JsonNode? rules = entry["rules"];
                AddSchemaEntry(entries, entry, rules, nameNode, entry["description"]?.StringValue ?? rules?["description"]?.StringValue, null, wrapped: true);
            }

            return true;
        }

        if (SegmentRules(root) is not { } ruleList)
        {
            Report(PlanDiagnostics.InvalidPlan, root.Start, root.Start + 1, $"{what} is an object with an 'events' array or a 'rules' array");
            return false;
        }

        foreach (JsonNode rule in ruleList.Items!)
        {
            if (rule.Kind != JsonKind.Object || rule["type"]?.StringValue is not { } type)
            {
                Report(PlanDiagnostics.InvalidPlan, rule.Start, rule.End, "A Segment rule needs a string 'type' (TRACK, IDENTIFY, GROUP, PAGE or SCREEN)");
                continue;
            }

            JsonNode? keyNode = rule["key"] is { Kind: JsonKind.String } k && k.Text!.Length > 0 ? k : null;
            string upper = type.ToUpperInvariant();
            if (upper == "TRACK" && keyNode is null)
            {
                Report(PlanDiagnostics.InvalidPlan, rule.Start, rule.End, "A Segment TRACK rule needs a non-empty string 'key' (the event's name)");
                continue;
            }

            JsonNode? schema = rule["json_schema"] ?? rule["jsonSchema"];
            JsonNode typeNode = rule["type"]!;
            JsonNode nameAt = keyNode ?? typeNode;
            string name = keyNode?.Text ?? Naming.ToPascalCase(type) ?? type; // IDENTIFY → Identify → action identify
            (int, int, int)? version = rule["version"] is { Kind: JsonKind.Number } v && int.TryParse(v.Text, NumberStyles.None, CultureInfo.InvariantCulture, out int major) ? (major, 0, 0) : null;
            bool traits = upper is "IDENTIFY" or "GROUP";
            AddSchemaEntry(entries, rule, schema, nameAt, schema?["description"]?.StringValue, version, wrapped: true, name, traits ? (upper == "IDENTIFY" ? "identify" : "group") : null);
        }

        return true;
    }

    /// <summary>Snowplow Iglu: <c>self: {vendor, name, format, version}</c>; the schema is the event's properties.</summary>
    private bool ReadIglu(JsonNode root, List<PlanEntry> entries)
    {
        JsonNode? self = root["self"];
        if (self is not { Kind: JsonKind.Object } || self["name"] is not { Kind: JsonKind.String } nameNode || nameNode.Text!.Length == 0)
        {
            JsonNode at = self ?? root;
            Report(PlanDiagnostics.InvalidPlan, at.Start, self is null ? at.Start + 1 : at.End, "An Iglu schema needs 'self' with a non-empty string 'name'");
            return false;
        }

        (int, int, int)? version = null;
        if (self["version"] is { } versionNode)
        {
            string[] parts = versionNode.StringValue?.Split('-') ?? [];
            if (parts.Length != 3 || !parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                Report(PlanDiagnostics.InvalidPlan, versionNode.Start, versionNode.End, "An Iglu 'version' is a SchemaVer string, MODEL-REVISION-ADDITION (e.g. \"1-0-2\")");
                return false;
            }

            version = (int.Parse(parts[0], CultureInfo.InvariantCulture), int.Parse(parts[1], CultureInfo.InvariantCulture), int.Parse(parts[2], CultureInfo.InvariantCulture));
        }

        JsonNode titleOrName = root["title"] is { Kind: JsonKind.String } title ? title : nameNode;
        AddSchemaEntry(entries, root, root, titleOrName, root["description"]?.StringValue, version, wrapped: false);
        return true;
    }

    /// <summary>Plain JSON Schema, one event per file: the action from <c>x-intilery-action</c>, <c>title</c> or the file name.</summary>
    private bool ReadJsonSchema(JsonNode root, List<PlanEntry> entries)
    {
        if (root["title"] is { Kind: JsonKind.String } title && title.Text!.Length > 0)
        {
            AddSchemaEntry(entries, root, root, title, root["description"]?.StringValue, null, wrapped: false);
            return true;
        }

        string stem = FileName(_source.Path);
        int dot = stem.LastIndexOf('.');
        stem = dot > 0 ? stem.Substring(0, dot) : stem;
        var at = new JsonNode(JsonKind.String, root.Start) { End = root.Start + 1, Text = stem };
        AddSchemaEntry(entries, root, root, at, root["description"]?.StringValue, null, wrapped: false);
        return true;
    }

    /// <summary>
    /// Adds an event stated as a name and a schema. The action is <c>x-intilery-action</c> (on the event, or at the
    /// schema's root) or the name in snake_case; the category is <c>x-intilery-category</c>, else <c>identify</c> for
    /// traits. A wrapped (Segment) schema holds the payload under <c>properties.properties</c> or the traits.
    /// </summary>
    private void AddSchemaEntry(
        List<PlanEntry> entries,
        JsonNode entry,
        JsonNode? schema,
        JsonNode nameNode,
        string? description,
        (int, int, int)? version,
        bool wrapped,
        string? name = null,
        string? traitsCategory = null)
    {
        name ??= nameNode.Text!;
        JsonNode? actionNode = (entry[ActionKeyword] ?? schema?[ActionKeyword]) is { Kind: JsonKind.String } a && a.Text!.Length > 0 ? a : null;
        string? category = (entry[CategoryKeyword] ?? schema?[CategoryKeyword])?.StringValue;
        string action = actionNode?.Text ?? Naming.ToSnakeCase(name);
        if (action.Length == 0)
        {
            Report(PlanDiagnostics.InvalidPlan, nameNode.Start, nameNode.End, $"'{name}' makes no action; give one with \"{ActionKeyword}\"");
            return;
        }

        bool traits = traitsCategory is not null || string.Equals(category, "identify", StringComparison.Ordinal);
        JsonNode? payload = schema;
        string schemaWhat = "'rules'";
        if (wrapped && schema is { Kind: JsonKind.Object })
        {
            JsonNode? envelope = schema["properties"];
            JsonNode? properties = envelope?["properties"];
            JsonNode? traitsSchema = envelope?["traits"] ?? envelope?["context"]?["properties"]?["traits"];
            if (IsObjectSchema(properties) && (traitsCategory is null || !IsObjectSchema(traitsSchema)))
            {
                payload = properties;
                schemaWhat = "'rules.properties.properties'";
            }
            else if (IsObjectSchema(traitsSchema))
            {
                payload = traitsSchema;
                schemaWhat = "'rules.properties.traits'";
                traits = true;
            }
            else if (envelope is { Kind: JsonKind.Object } && (envelope["properties"] is not null || envelope["traits"] is not null || envelope["context"] is not null))
            {
                payload = null; // the wrapper states nothing about the payload
            }
        }
        else if (!wrapped)
        {
            schemaWhat = "schema";
        }

        entries.Add(new PlanEntry
        {
            Source = _source,
            Action = action,
            ActionAt = actionNode ?? nameNode,
            Name = actionNode is not null && name.Length == 0 ? action : name,
            NameAt = nameNode,
            Description = description,
            Category = category ?? (traits ? traitsCategory ?? "identify" : null),
            Traits = traits,
            Schema = payload,
            RefRoot = schema ?? entry,
            SchemaWhat = schemaWhat,
            Version = version,
        });
    }

    private static bool IsObjectSchema(JsonNode? node)
        => node is { Kind: JsonKind.Object }
            && (node["type"]?.StringValue == "object" || node["properties"] is not null || node["$ref"] is not null || node["allOf"] is not null);

    /// <summary>Several versions of one action (Iglu schemas, Segment rules): the latest wins; the others are dropped.</summary>
    private static IEnumerable<PlanEntry> LatestVersions(List<PlanEntry> entries)
    {
        var latest = new Dictionary<string, PlanEntry>(StringComparer.Ordinal);
        foreach (PlanEntry entry in entries)
        {
            if (entry.Version is { } version && (!latest.TryGetValue(entry.Action, out PlanEntry? other) || version.CompareTo(other.Version!.Value) > 0))
            {
                latest[entry.Action] = entry;
            }
        }

        foreach (PlanEntry entry in entries)
        {
            // Keep the plan's order; an unversioned repeat stays so that it is reported as a duplicate action.
            if (entry.Version is null || ReferenceEquals(latest[entry.Action], entry))
            {
                yield return entry;
            }
        }
    }

    /// <summary>
    /// Follows a schema's local <c>$ref</c>s and merges its <c>allOf</c> (properties joined, <c>required</c> joined, other
    /// keywords taken from the first that states them). Returns null, with where and why, for what it cannot resolve.
    /// </summary>
    private JsonNode? Flatten(JsonNode schema, out JsonNode? problemAt, out string? problem)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        return Flatten(schema, seen, out problemAt, out problem);
    }

    private JsonNode? Flatten(JsonNode schema, HashSet<string> seen, out JsonNode? problemAt, out string? problem)
    {
        problemAt = null;
        problem = null;
        while (schema.Kind == JsonKind.Object && schema["$ref"] is { } refNode)
        {
            JsonNode? target = ResolveRef(refNode, out problem, out string key);
            if (target is null)
            {
                problemAt = refNode;
                return null;
            }

            if (!seen.Add(key))
            {
                problemAt = refNode;
                problem = $"the recursive '$ref' '{refNode.Text}'";
                return null;
            }

            schema = target;
        }

        if (schema.Kind != JsonKind.Object || schema["allOf"] is not { } allOf)
        {
            return schema;
        }

        if (allOf.Kind != JsonKind.Array || allOf.Items!.Count == 0)
        {
            problemAt = allOf;
            problem = "'allOf' must be a non-empty array";
            return null;
        }

        var parts = new List<JsonNode> { schema };
        foreach (JsonNode item in allOf.Items!)
        {
            JsonNode? flat = Flatten(item, new HashSet<string>(seen, StringComparer.Ordinal), out problemAt, out problem);
            if (flat is null)
            {
                return null;
            }

            if (flat.Kind != JsonKind.Object)
            {
                problemAt = item;
                problem = "an 'allOf' item that is not a schema object";
                return null;
            }

            parts.Add(flat);
        }

        var members = new List<JsonMember>();
        var properties = new JsonNode(JsonKind.Object, allOf.Start) { End = allOf.End, Members = [] };
        var required = new JsonNode(JsonKind.Array, allOf.Start) { End = allOf.End, Items = [] };
        foreach (JsonNode part in parts)
        {
            foreach (JsonMember member in part.Members!)
            {
                switch (member.Name)
                {
                    case "allOf":
                    case "$ref":
                        break;
                    case "properties" when member.Value.Kind == JsonKind.Object:
                        foreach (JsonMember property in member.Value.Members!)
                        {
                            if (properties[property.Name] is null)
                            {
                                properties.Members!.Add(property);
                            }
                        }

                        break;
                    case "required" when member.Value.Kind == JsonKind.Array:
                        required.Items!.AddRange(member.Value.Items!.Where(i => i.StringValue is { } n && !required.Items!.Any(r => r.StringValue == n)));
                        break;
                    default:
                        if (!members.Any(m => m.Name == member.Name))
                        {
                            members.Add(member);
                        }

                        break;
                }
            }
        }

        if (properties.Members!.Count > 0)
        {
            members.Add(new JsonMember("properties", allOf.Start, allOf.End, properties));
            if (!members.Any(m => m.Name == "type"))
            {
                members.Add(new JsonMember("type", allOf.Start, allOf.End, new JsonNode(JsonKind.String, allOf.Start) { End = allOf.End, Text = "object" }));
            }
        }

        if (required.Items!.Count > 0)
        {
            members.Add(new JsonMember("required", allOf.Start, allOf.End, required));
        }

        return new JsonNode(JsonKind.Object, schema.Start) { End = schema.End, Members = members };
    }

    /// <summary>
    /// Resolves a <c>$ref</c>: local (<c>#</c>, <c>#/definitions/…</c>, <c>#/$defs/…</c>, any JSON pointer) into the document
    /// the reference is in, or to a relative file (<c>common.json</c>, <c>defs/common.json#/definitions/address</c>) among the
    /// AdditionalFiles, resolved against the directory of the file holding the reference. <paramref name="key"/> names the
    /// target whatever file it is reached from (for cycles).
    /// </summary>
    private JsonNode? ResolveRef(JsonNode refNode, out string? why, out string key)
    {
        string? reference = refNode.StringValue;
        key = string.Empty;
        if (reference is null)
        {
            why = "'$ref' must be a string";
            return null;
        }

        int hash = reference.IndexOf('#');
        string filePart = hash < 0 ? reference : reference.Substring(0, hash);
        string fragment = hash < 0 ? string.Empty : reference.Substring(hash + 1);
        PlanSource holder = SourceAt(refNode.Start);
        JsonNode? node;
        if (filePart.Length == 0)
        {
            // In the event's own file, local references resolve against the event's schema document (Segment's rules
            // are one inside the plan); in a referenced file, against that file.
            node = ReferenceEquals(holder, _source) ? _refRoot : holder.Root;
            key = holder.Path + "#" + fragment + (ReferenceEquals(holder, _source) ? "@" + _refRoot.Start.ToString(CultureInfo.InvariantCulture) : string.Empty);
        }
        else
        {
            if (filePart.IndexOf("://", StringComparison.Ordinal) >= 0 || filePart.StartsWith("urn:", StringComparison.OrdinalIgnoreCase))
            {
                why = $"the '$ref' '{reference}' is not local or a relative file (remote schemas are not fetched)";
                return null;
            }

            string directory = Normalize(holder.Path);
            directory = directory.LastIndexOf('/') is int slash and >= 0 ? directory.Substring(0, slash) : string.Empty;
            string path = Combine(directory, Uri.UnescapeDataString(filePart));
            PlanSource? file = ReferencedFile(path, out string? problem);
            if (file is null)
            {
                why = $"the '$ref' '{reference}' is not local, and {problem}";
                return null;
            }

            node = file.Root;
            key = file.Path + "#" + fragment;
        }

        string pointer = Uri.UnescapeDataString(fragment);
        if (pointer.Length > 0 && pointer[0] != '/')
        {
            why = $"the '$ref' '{reference}' names an anchor, not a JSON pointer";
            return null;
        }

        foreach (string raw in pointer.Length == 0 ? [] : pointer.Substring(1).Split('/'))
        {
            string token = raw.Replace("~1", "/").Replace("~0", "~");
            node = node?.Kind switch
            {
                JsonKind.Object => node[token],
                JsonKind.Array when int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out int index) && index < node.Items!.Count => node.Items![index],
                _ => null,
            };
        }

        why = node is null ? $"the '$ref' '{reference}' points at nothing in {(filePart.Length == 0 ? "this file" : "'" + filePart + "'")}" : null;
        return node;
    }

    /// <summary>A file a <c>$ref</c> names, parsed once per run; null with why when it is not among the files or not JSON.</summary>
    private PlanSource? ReferencedFile(string path, out string? problem)
    {
        problem = null;
        foreach (PlanSource read in _sources)
        {
            if (string.Equals(Combine(Normalize(read.Path), string.Empty), path, StringComparison.OrdinalIgnoreCase))
            {
                return read;
            }
        }

        PlanFile? file = _allFiles.FirstOrDefault(f => string.Equals(Combine(Normalize(f.Path), string.Empty), path, StringComparison.OrdinalIgnoreCase))
            ?? (_readFile?.Invoke(path) is { } text ? new PlanFile(path, text) : null);
        if (file is null)
        {
            problem = _readFile is null ? $"'{path}' is not among the project's AdditionalFiles" : $"'{path}' does not exist";
            return null;
        }

        try
        {
            return AddSource(file.Path, file.Text);
        }
        catch (JsonParseException ex)
        {
            problem = $"'{FileName(file.Path)}' is not valid JSON ({ex.Message})";
            return null;
        }
    }
}
