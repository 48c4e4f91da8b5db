using EventStream.Parsing;
using Microsoft.AspNetCore.Http;

namespace EventStream.AspNetCore.ServerSentEvents.Internal;

/// <summary>A connection's query filters: <c>?action=a,b</c>, <c>?late=true|false</c>, <c>?status=false</c>.</summary>
internal sealed record EventFilter(HashSet<string>? Actions, bool? Late, bool Status)
{
    public bool Matches(IntileryEvent e) => (Actions is null || Actions.Contains(e.EventAction)) && (Late is null || e.IsLate == Late);

    /// <summary>The filter, or a message saying what is wrong with the query.</summary>
    public static (EventFilter? Filter, string? Error) Parse(IQueryCollection query)
    {
        HashSet<string>? actions = null;
        if (query.TryGetValue("action", out var actionValues))
        {
            actions = new HashSet<string>(StringComparer.Ordinal);
            foreach (string part in actionValues.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries)))
            {
                if (part.Length is 0 or > 200)
                {
                    return (null, "action must be a comma-separated list of event actions, e.g. ?action=page,order_completed");
                }

                actions.Add(part);
            }
        }

        bool? late = null;
        if (query.TryGetValue("late", out var lateValue))
        {
            if (!bool.TryParse(lateValue.ToString(), out bool l))
            {
                return (null, "late must be true (only late events) or false (only on-time events)");
            }

            late = l;
        }

        bool status = true;
        if (query.TryGetValue("status", out var statusValue) && !bool.TryParse(statusValue.ToString(), out status))
        {
            return (null, "status must be true or false");
        }

        foreach (string key in query.Keys)
        {
            if (key is not ("action" or "late" or "status" or "lastEventId"))
            {
                return (null, $"unknown query parameter '{key}' (known: action, late, status, lastEventId)");
            }
        }

        return (new EventFilter(actions, late, status), null);
    }
}
