using System.Globalization;
using System.Text;

namespace EventStream.Api;

/// <summary>One request's query: which actions, which time range, which order, which slice of the results.</summary>
/// <remarks>Checked locally by <see cref="Validate"/> before any request is sent.</remarks>
public sealed record EventsQuery
{
    /// <summary>The most results <c>from</c> + <c>size</c> can reach.</summary>
    public const int ResultWindow = 10_000;

    /// <summary>The largest page size.</summary>
    public const int MaxSize = 100;

    /// <summary>Event actions to include (<c>include</c>); empty for all.</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Event actions to exclude (<c>exclude</c>).</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Only events after this time (<c>start</c>).</summary>
    public DateTimeOffset? Start { get; init; }

    /// <summary>Only events before this time (<c>end</c>).</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>The order; <see langword="null"/> leaves it to the API (newest first).</summary>
    public EventSort? Sort { get; init; }

    /// <summary>How many results to skip (<c>from</c>).</summary>
    /// <value>Default 0.</value>
    public int From { get; init; }

    /// <summary>The page size (<c>size</c>), 1 to 100.</summary>
    /// <value>Default 100.</value>
    public int Size { get; init; } = MaxSize;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid parameter.</summary>
    /// <exception cref="ArgumentException">A parameter is invalid.</exception>
    public void Validate()
    {
        if (Size is < 1 or > MaxSize)
        {
            throw new ArgumentException($"Size must be between 1 and {MaxSize}; it was {Size}.", nameof(Size));
        }

        if (From < 0)
        {
            throw new ArgumentException($"From must be 0 or more; it was {From}.", nameof(From));
        }

        if ((long)From + Size > ResultWindow)
        {
            throw new ArgumentException($"From + Size must be at most {ResultWindow}; it was {(long)From + Size}.", nameof(From));
        }

        if (Start is { } start && End is { } end && start >= end)
        {
            throw new ArgumentException("Start must be before End.", nameof(Start));
        }

        if (Sort is { } sort && !Enum.IsDefined(sort))
        {
            throw new ArgumentException($"Sort {sort} is not a defined value.", nameof(Sort));
        }

        ValidateActions(Include, nameof(Include));
        ValidateActions(Exclude, nameof(Exclude));
    }

    /// <summary>The query string (without <c>?</c>), URL-encoded, times as ISO 8601 UTC with milliseconds.</summary>
    /// <returns>The query string.</returns>
    public string ToQueryString()
    {
        var query = new StringBuilder(128);
        if (Include.Count > 0)
        {
            Append(query, "include", string.Join(',', Include));
        }

        if (Exclude.Count > 0)
        {
            Append(query, "exclude", string.Join(',', Exclude));
        }

        if (Start is { } start)
        {
            Append(query, "start", FormatTime(start));
        }

        if (End is { } end)
        {
            Append(query, "end", FormatTime(end));
        }

        if (Sort is { } sort)
        {
            Append(query, "sort", sort == EventSort.Ascending ? "asc" : "desc");
        }

        Append(query, "from", From.ToString(CultureInfo.InvariantCulture));
        Append(query, "size", Size.ToString(CultureInfo.InvariantCulture));
        return query.ToString();
    }

    /// <summary>Formats a time the way the API expects: ISO 8601, UTC, milliseconds (e.g. <c>2024-05-14T09:31:09.664Z</c>).</summary>
    /// <param name="time">The time.</param>
    /// <returns>The formatted time.</returns>
    public static string FormatTime(DateTimeOffset time)
        => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static void Append(StringBuilder query, string name, string value)
    {
        if (query.Length > 0)
        {
            query.Append('&');
        }

        query.Append(name).Append('=').Append(Uri.EscapeDataString(value));
    }

    private static void ValidateActions(IReadOnlyList<string> actions, string name)
    {
        if (actions is null)
        {
            throw new ArgumentException($"{name} must not be null.", name);
        }

        foreach (string action in actions)
        {
            if (string.IsNullOrWhiteSpace(action))
            {
                throw new ArgumentException($"{name} has an empty action name.", name);
            }

            if (action.Contains(',', StringComparison.Ordinal))
            {
                throw new ArgumentException($"{name} action '{action}' contains a comma; pass each action separately.", name);
            }
        }
    }
}
