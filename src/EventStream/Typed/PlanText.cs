using System.ComponentModel;
using System.Text;
using System.Text.Json;

namespace EventStream.Typed;

/// <summary>
/// A planned string value left in the event's JSON until it is first read, then kept: decoding a typed event
/// allocates no string for properties nobody reads. Used by generated code.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct PlanText
{
    private readonly int _start;   // in the event's JSON: the value's first byte, or its opening quote when escaped
    private readonly int _length;
    private readonly bool _present;
    private readonly bool _escaped;
    private string? _value;

    internal PlanText(int start, int length, bool escaped)
    {
        _start = start;
        _length = length;
        _present = true;
        _escaped = escaped;
        _value = null;
    }

    /// <summary>The string, decoded from <paramref name="json"/> on first use; <see langword="null"/> when absent or null.</summary>
    /// <param name="json">The event's JSON (<see cref="Parsing.IntileryEvent.Json"/>).</param>
    /// <returns>The value.</returns>
    public string? Get(ReadOnlyMemory<byte> json)
    {
        if (_value is not null || !_present)
        {
            return _value;
        }

        ReadOnlySpan<byte> bytes = json.Span.Slice(_start, _length);
        if (!_escaped)
        {
            return _value = Encoding.UTF8.GetString(bytes);
        }

        var reader = new Utf8JsonReader(bytes);
        reader.Read();
        return _value = reader.GetString();
    }
}
