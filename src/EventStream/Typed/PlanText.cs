using System.ComponentModel;
using System.Text;
using System.Text.Json;
using EventStream.Parsing.Internal;

namespace EventStream.Typed;

/// <summary>
/// A string value left in the event's JSON until it is first read, then kept: an event allocates no string for values
/// nobody reads. Used for the envelope's customer ids and email, and by generated code for planned string properties.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct PlanText
{
    private readonly int _start;         // in the event's JSON: the value's first byte; ~(opening quote) when the value is JSON-escaped
    private readonly int _lengthPlusOne; // 0: absent (so that default is absent)
    private string? _value;

    internal PlanText(int start, int length, bool escaped)
    {
        _start = escaped ? ~start : start;
        _lengthPlusOne = length + 1;
        _value = null;
    }

    /// <summary>A value already decoded (the envelope unescapes escaped values while it scans).</summary>
    internal PlanText(string value) => _value = value;

    /// <summary>The string, decoded from <paramref name="json"/> on first use; <see langword="null"/> when absent or null.</summary>
    /// <param name="json">The event's JSON (<see cref="Parsing.IntileryEvent.Json"/>).</param>
    /// <returns>The value.</returns>
    public string? Get(ReadOnlyMemory<byte> json)
    {
        if (_value is not null || _lengthPlusOne == 0)
        {
            return _value;
        }

        ReadOnlySpan<byte> bytes = json.Span.Slice(_start < 0 ? ~_start : _start, _lengthPlusOne - 1);
        if (_start >= 0)
        {
            return _value = Encoding.UTF8.GetString(bytes);
        }

        var reader = new Utf8JsonReader(bytes, JsonLimits.Reader);
        reader.Read();
        return _value = JsonText.GetString(ref reader);
    }
}
