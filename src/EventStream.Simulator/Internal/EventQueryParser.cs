using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace EventStream.Simulator.Internal;

/// <summary>Reads the events endpoint's query string into an <see cref="EventQuery"/>, or the API's validation message.</summary>
internal static class EventQueryParser
{
    /// <summary>Parses <paramref name="q"/> once: a query, or (false) the message of the first invalid parameter.</summary>
    public static bool TryParse(IQueryCollection q, bool inclusive, out EventQuery query, [NotNullWhen(false)] out string? error)
    {
        query = default;
        HashSet<string>? include = null, exclude = null;
        DateTimeOffset? start = null, end = null;
        bool descending = true;
        int from = 0, size = 10;
        if (q.TryGetValue("include", out StringValues inc))
        {
            if (Actions(inc.ToString()) is not { } set)
            {
                error = "include must be a comma-separated list of event actions.";
                return false;
            }

            include = set;
        }

        if (q.TryGetValue("exclude", out StringValues exc))
        {
            if (Actions(exc.ToString()) is not { } set)
            {
                error = "exclude must be a comma-separated list of event actions.";
                return false;
            }

            exclude = set;
        }

        if (q.TryGetValue("start", out StringValues s))
        {
            if (Time(s.ToString()) is not { } t)
            {
                error = $"start '{s}' is not an ISO 8601 date-time.";
                return false;
            }

            start = t;
        }

        if (q.TryGetValue("end", out StringValues e))
        {
            if (Time(e.ToString()) is not { } t)
            {
                error = $"end '{e}' is not an ISO 8601 date-time.";
                return false;
            }

            end = t;
        }

        if (start is { } a && end is { } b && a >= b)
        {
            error = "start must be before end.";
            return false;
        }

        if (q.TryGetValue("sort", out StringValues sort))
        {
            switch (sort.ToString())
            {
                case "asc": descending = false; break;
                case "desc": descending = true; break;
                default:
                    error = $"sort must be asc or desc, not '{sort}'.";
                    return false;
            }
        }

        if (q.TryGetValue("from", out StringValues f) && !int.TryParse(f.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out from))
        {
            error = $"from must be a non-negative integer, not '{f}'.";
            return false;
        }

        if (q.TryGetValue("size", out StringValues z) && (!int.TryParse(z.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > 100))
        {
            error = $"size must be an integer from 1 to 100, not '{z}'.";
            return false;
        }

        if ((long)from + size > IntilerySimulator.ResultWindow)
        {
            error = $"Result window is too large, from + size must be less than or equal to: [{IntilerySimulator.ResultWindow}] but was [{(long)from + size}].";
            return false;
        }

        query = new EventQuery(include, exclude, start, end, descending, from, size, inclusive);
        error = null;
        return true;
    }

    private static HashSet<string>? Actions(string value)
    {
        string[] parts = value.Split(',');
        return parts.Any(p => p.Trim().Length == 0) ? null : parts.Select(p => p.Trim()).ToHashSet(StringComparer.Ordinal);
    }

    private static DateTimeOffset? Time(string value)
        => DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset t)
           && value.Length >= 10 && char.IsDigit(value[0])
            ? t
            : null;
}
