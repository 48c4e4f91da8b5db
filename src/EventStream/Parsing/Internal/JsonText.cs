using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EventStream.Parsing.Internal;

/// <summary>
/// JSON string values, decoded without throwing. System.Text.Json refuses invalid UTF-8 inside a string and a <c>\u</c>
/// escape of a lone surrogate (<c>"\ud800"</c>) with <see cref="InvalidOperationException"/> only when the value is read,
/// long after the page was accepted; the fuzzer found both ending a feed and throwing from property getters. Here invalid
/// bytes become U+FFFD (as <see cref="Encoding.UTF8"/> decodes them) and a lone surrogate escape the lone UTF-16 unit in
/// a string (which .NET strings can hold), U+FFFD in UTF-8. The fast path stays System.Text.Json's.
/// </summary>
internal static class JsonText
{
    /// <summary>The current string token's value.</summary>
    public static string GetString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString() ?? "";
        }
        catch (InvalidOperationException) when (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
        {
            return Unescape(reader.ValueSpan);
        }
    }

    /// <summary>A string element's value (see the class remarks); <see langword="null"/> for JSON null.</summary>
    public static string? GetString(JsonElement element)
    {
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException) when (element.ValueKind == JsonValueKind.String)
        {
            ReadOnlySpan<byte> raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element);
            return Unescape(raw[1..^1]);
        }
    }

    /// <summary>
    /// <see cref="Utf8JsonReader.TryGetDateTimeOffset"/>, which throws instead of returning false for an escaped value with
    /// a lone surrogate (found by fuzzing).
    /// </summary>
    public static bool TryGetDateTimeOffset(ref Utf8JsonReader reader, out DateTimeOffset value)
        => TryGet(ref reader, static (ref Utf8JsonReader r, out DateTimeOffset v) => r.TryGetDateTimeOffset(out v), out value);

    /// <summary><see cref="Utf8JsonReader.TryGetGuid"/>, likewise.</summary>
    public static bool TryGetGuid(ref Utf8JsonReader reader, out Guid value)
        => TryGet(ref reader, static (ref Utf8JsonReader r, out Guid v) => r.TryGetGuid(out v), out value);

    private delegate bool Getter<T>(ref Utf8JsonReader reader, out T value);

    private static bool TryGet<T>(ref Utf8JsonReader reader, Getter<T> get, out T value)
    {
        try
        {
            return get(ref reader, out value);
        }
        catch (InvalidOperationException) when (reader.TokenType == JsonTokenType.String)
        {
            value = default!;
            return false;
        }
    }

    /// <summary>Unescapes the current string token into <paramref name="destination"/> (at least as long as the escaped value).</summary>
    public static int CopyString(ref Utf8JsonReader reader, Span<byte> destination)
    {
        try
        {
            return reader.CopyString(destination);
        }
        catch (InvalidOperationException)
        {
            return Encoding.UTF8.GetBytes(WithoutLoneSurrogates(Unescape(reader.ValueSpan)), destination);
        }
    }

    /// <summary>Unescapes a JSON string's content (the bytes between its quotes).</summary>
    public static string Unescape(ReadOnlySpan<byte> escaped)
    {
        var text = new StringBuilder(escaped.Length);
        while (!escaped.IsEmpty)
        {
            int backslash = escaped.IndexOf((byte)'\\');
            ReadOnlySpan<byte> run = backslash < 0 ? escaped : escaped[..backslash];
            text.Append(Encoding.UTF8.GetString(run));
            if (backslash < 0 || backslash + 1 >= escaped.Length)
            {
                break;
            }

            byte kind = escaped[backslash + 1];
            escaped = escaped[(backslash + 2)..];
            switch (kind)
            {
                case (byte)'b': text.Append('\b'); break;
                case (byte)'f': text.Append('\f'); break;
                case (byte)'n': text.Append('\n'); break;
                case (byte)'r': text.Append('\r'); break;
                case (byte)'t': text.Append('\t'); break;
                case (byte)'u' when escaped.Length >= 4 && Utf8Parser.TryParse(escaped[..4], out ushort unit, out int used, 'x') && used == 4:
                    text.Append((char)unit);
                    escaped = escaped[4..];
                    break;
                default: text.Append((char)kind); break; // \" \\ \/ (anything else was refused by the reader)
            }
        }

        return text.ToString();
    }

    // In UTF-8 a lone surrogate has no encoding: it becomes U+FFFD, as Encoding.UTF8 does for invalid bytes.
    private static string WithoutLoneSurrogates(string text)
    {
        char[]? copy = null;
        for (int i = 0; i < text.Length; i++)
        {
            if (IsLoneSurrogate(text, i))
            {
                copy ??= text.ToCharArray();
                copy[i] = '\uFFFD';
            }
        }

        return copy is null ? text : new string(copy);
    }

    private static bool IsLoneSurrogate(string text, int i)
        => char.IsHighSurrogate(text[i]) ? i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])
            : char.IsLowSurrogate(text[i]) && (i == 0 || !char.IsHighSurrogate(text[i - 1]));
}
