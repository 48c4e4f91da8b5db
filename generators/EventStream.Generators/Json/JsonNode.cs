using System.Collections.Generic;

namespace EventStream.Generators.Json;

internal enum JsonKind
{
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

/// <summary>A JSON value with the character range it came from, so diagnostics can point into the plan file.</summary>
internal sealed class JsonNode
{
    public JsonNode(JsonKind kind, int start)
    {
        Kind = kind;
        Start = start;
    }

    public JsonKind Kind { get; }

    public int Start { get; }

    public int End { get; set; }

    /// <summary>A string's value, or a number's text.</summary>
    public string? Text { get; set; }

    public List<JsonMember>? Members { get; set; }

    public List<JsonNode>? Items { get; set; }

    public JsonNode? this[string name]
    {
        get
        {
            if (Members is not null)
            {
                foreach (JsonMember member in Members)
                {
                    if (member.Name == name)
                    {
                        return member.Value;
                    }
                }
            }

            return null;
        }
    }

    public string? StringValue => Kind == JsonKind.String ? Text : null;
}

/// <summary>An object member: its name, where the name is, and its value.</summary>
internal sealed class JsonMember(string name, int nameStart, int nameEnd, JsonNode value)
{
    public string Name { get; } = name;

    public int NameStart { get; } = nameStart;

    public int NameEnd { get; } = nameEnd;

    public JsonNode Value { get; } = value;
}
