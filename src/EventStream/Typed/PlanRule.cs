using System.Buffers;
using System.ComponentModel;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace EventStream.Typed;

/// <summary>
/// The limits a tracking plan sets on one value (JSON Schema <c>minimum</c>, <c>maximum</c>, <c>exclusiveMinimum</c>,
/// <c>exclusiveMaximum</c>, <c>minLength</c>, <c>maxLength</c>, <c>pattern</c>, <c>format: email</c>, a mixed-type
/// <c>enum</c>). Generated code keeps one per property in a static field and passes it to <see cref="PlanReader"/>; a
/// value outside the limits is still decoded and is reported as a <see cref="PlanViolation"/>, never dropped.
/// </summary>
/// <remarks>
/// Patterns run with <see cref="RegexOptions.NonBacktracking"/> (linear time whatever the input, so a hostile value cannot
/// stall the feed); a pattern that needs backtracking (backreferences, lookarounds) runs with a 100 ms match timeout, and
/// a timeout counts as a mismatch. Lengths count Unicode code points, as JSON Schema does.
/// </remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class PlanRule
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);
    private readonly string? _pattern;
    private readonly Regex? _regex;
    private readonly string[]? _allowedJson;
    private JsonElement[]? _allowed;

    /// <summary>The smallest value allowed (inclusive unless <see cref="ExclusiveMinimum"/>).</summary>
    /// <value>None by default.</value>
    public double? Minimum { get; init; }

    /// <summary>Whether <see cref="Minimum"/> itself is outside the range.</summary>
    /// <value><see langword="false"/> by default.</value>
    public bool ExclusiveMinimum { get; init; }

    /// <summary>The largest value allowed (inclusive unless <see cref="ExclusiveMaximum"/>).</summary>
    /// <value>None by default.</value>
    public double? Maximum { get; init; }

    /// <summary>Whether <see cref="Maximum"/> itself is outside the range.</summary>
    /// <value><see langword="false"/> by default.</value>
    public bool ExclusiveMaximum { get; init; }

    /// <summary>The fewest code points a string may have.</summary>
    /// <value>None by default.</value>
    public int? MinLength { get; init; }

    /// <summary>The most code points a string may have.</summary>
    /// <value>None by default.</value>
    public int? MaxLength { get; init; }

    /// <summary>A regular expression a string must match somewhere (JSON Schema patterns are not anchored).</summary>
    /// <value>None by default.</value>
    public string? Pattern
    {
        get => _pattern;
        init
        {
            _pattern = value;
            _regex = value is null ? null : Compile(value);
        }
    }

    /// <summary>Whether a string must be an email address (<c>local@domain</c>, no spaces, a dot-free local part allowed).</summary>
    /// <value><see langword="false"/> by default.</value>
    public bool Email { get; init; }

    /// <summary>The values allowed, as JSON texts (an <c>enum</c> of mixed types; compared as JSON values, so <c>1</c> equals <c>1.0</c>).</summary>
    /// <value>None by default.</value>
    public IReadOnlyList<string>? AllowedJson
    {
        get => _allowedJson;
        init => _allowedJson = value is null ? null : [.. value];
    }

    internal string? CheckNumber(double value)
    {
        bool tooSmall = Minimum is { } min && (ExclusiveMinimum ? value <= min : value < min);
        bool tooLarge = Maximum is { } max && (ExclusiveMaximum ? value >= max : value > max);
        return tooSmall || tooLarge ? Range() : null;
    }

    internal string Range()
    {
        var parts = new List<string>(2);
        if (Minimum is { } min)
        {
            parts.Add((ExclusiveMinimum ? "> " : ">= ") + min.ToString(CultureInfo.InvariantCulture));
        }

        if (Maximum is { } max)
        {
            parts.Add((ExclusiveMaximum ? "< " : "<= ") + max.ToString(CultureInfo.InvariantCulture));
        }

        return string.Join(" and ", parts);
    }

    /// <summary>Checks a string's UTF-8 text: the violation kind and what was expected, or <see langword="null"/> when it passes.</summary>
    internal (PlanViolationKind Kind, string Expected)? CheckText(ReadOnlySpan<byte> utf8)
    {
        if (MinLength is not null || MaxLength is not null)
        {
            int length = CodePoints(utf8);
            if (length < (MinLength ?? 0) || length > (MaxLength ?? int.MaxValue))
            {
                return (PlanViolationKind.InvalidLength, LengthText());
            }
        }

        if (Email && !IsEmail(utf8))
        {
            return (PlanViolationKind.InvalidFormat, "email");
        }

        if (_regex is not null && !Matches(_regex, utf8))
        {
            return (PlanViolationKind.PatternMismatch, "matching " + _pattern);
        }

        return null;
    }

    internal bool Allows(JsonElement value)
    {
        if (_allowedJson is null)
        {
            return true;
        }

        _allowed ??= [.. _allowedJson.Select(json => JsonElement.Parse(json))];
        foreach (JsonElement allowed in _allowed)
        {
            if (JsonElement.DeepEquals(allowed, value))
            {
                return true;
            }
        }

        return false;
    }

    internal string AllowedText() => "one of " + string.Join(", ", _allowedJson ?? []);

    private string LengthText()
        => (MinLength, MaxLength) switch
        {
            ({ } min, { } max) => $"length {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}",
            ({ } min, null) => $"length >= {min.ToString(CultureInfo.InvariantCulture)}",
            (null, { } max) => $"length <= {max.ToString(CultureInfo.InvariantCulture)}",
            _ => "any length",
        };

    private static Regex Compile(string pattern)
    {
        try
        {
            return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
        }
        catch (NotSupportedException)
        {
            return new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
        }
    }

    private static bool Matches(Regex regex, ReadOnlySpan<byte> utf8)
    {
        char[]? rented = null;
        int max = Encoding.UTF8.GetMaxCharCount(utf8.Length);
        Span<char> chars = max <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(max));
        try
        {
            int count = Encoding.UTF8.GetChars(utf8, chars);
            return regex.IsMatch(chars[..count]);
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    private static int CodePoints(ReadOnlySpan<byte> utf8)
    {
        int count = 0;
        foreach (byte b in utf8)
        {
            if ((b & 0xC0) != 0x80)
            {
                count++;
            }
        }

        return count;
    }

    // A pragmatic check (what HTML's input type=email accepts, roughly): one '@', a non-empty local part and a domain of
    // dot-separated labels, nothing below or at space. Full RFC 5322 addresses (quoted local parts, comments) are rejected.
    internal static bool IsEmail(ReadOnlySpan<byte> utf8)
    {
        int at = utf8.IndexOf((byte)'@');
        if (at <= 0 || at != utf8.LastIndexOf((byte)'@') || at == utf8.Length - 1)
        {
            return false;
        }

        foreach (byte b in utf8)
        {
            if (b <= (byte)' ' || b is (byte)'"' or (byte)'(' or (byte)')' or (byte)',' or (byte)';' or (byte)'<' or (byte)'>' or (byte)'[' or (byte)']' or (byte)'\\')
            {
                return false;
            }
        }

        ReadOnlySpan<byte> domain = utf8[(at + 1)..];
        return domain[0] != (byte)'.' && domain[^1] != (byte)'.' && domain.IndexOf(".."u8) < 0;
    }
}
