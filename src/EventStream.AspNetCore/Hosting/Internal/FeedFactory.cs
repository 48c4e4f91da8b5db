using System.Globalization;
using EventStream.Api;
using EventStream.Checkpoints;
using EventStream.Feed;
using Microsoft.Extensions.Logging;

namespace EventStream.AspNetCore.Hosting.Internal;

/// <summary>Turns bound settings into the library's options, naming configuration keys in every error.</summary>
internal static class FeedFactory
{
    public static (EventsApiOptions Api, FeedOptions Feed) Build(EventFeedSettings settings, ILoggerFactory? logs, TimeProvider time)
    {
        var api = new EventsApiOptions
        {
            BaseUrl = settings.BaseUrl,
            ClientId = settings.ClientId,
            AccountId = settings.AccountId,
            BrandId = settings.BrandId,
            AuthToken = settings.AuthToken,
            AllowInsecureHttp = settings.AllowInsecureHttp,
            TimeProvider = time,
            Logger = logs?.CreateLogger("EventStream.Api"),
        };
        settings.ConfigureApi?.Invoke(api);
        var feed = new FeedOptions
        {
            Include = settings.Include,
            Exclude = settings.Exclude,
            Start = ParseStart(settings.Start),
            MaxLateness = settings.MaxLateness,
            PollInterval = settings.PollInterval,
            HoldBack = settings.HoldBack,
            CheckpointStore = string.IsNullOrWhiteSpace(settings.CheckpointFile) ? null : new FileCheckpointStore(settings.CheckpointFile),
            TimeProvider = time,
            Logger = logs?.CreateLogger("EventStream.Feed"),
        };
        settings.ConfigureFeed?.Invoke(feed);
        return (api, feed);
    }

    /// <summary>The first problem, as "key: rule" with the configuration key, or null when the settings are valid.</summary>
    public static string? Problem(EventFeedSettings settings, string section)
    {
        try
        {
            (EventsApiOptions api, FeedOptions feed) = Build(settings, null, TimeProvider.System);
            api.Validate();
            feed.Validate();
            return null;
        }
        catch (ArgumentException ex)
        {
            string rule = ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : ex.Message;
            return $"{section}:{ex.ParamName}: {rule}";
        }
        catch (FormatException ex)
        {
            return $"{section}:{nameof(EventFeedSettings.Start)}: {ex.Message}";
        }
    }

    // now | beginning | latest:N | an ISO 8601 time
    private static FeedStart ParseStart(string start)
    {
        string s = start.Trim();
        if (s.Equals("now", StringComparison.OrdinalIgnoreCase))
        {
            return FeedStart.Now;
        }

        if (s.Equals("beginning", StringComparison.OrdinalIgnoreCase))
        {
            return FeedStart.Beginning;
        }

        if (s.StartsWith("latest:", StringComparison.OrdinalIgnoreCase) && int.TryParse(s.AsSpan(7), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0)
        {
            return FeedStart.Latest(n);
        }

        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset time) && s.Length >= 10)
        {
            return FeedStart.At(time);
        }

        throw new FormatException($"must be now, beginning, latest:N or an ISO 8601 time, not '{start}'.");
    }
}
