using EventStream.Api;
using EventStream.Feed;

namespace EventStream.AspNetCore.Hosting;

/// <summary>
/// One feed's settings, bound from configuration (<c>"EventStream": { … }</c>, or <c>"EventStream:Feeds:{name}"</c> for a
/// named feed) and validated when the host starts. The token may come from configuration, user secrets or the
/// environment (<c>EventStream__AuthToken</c>); it is never logged.
/// </summary>
public sealed class EventFeedSettings
{
    /// <summary>The configuration section of the default feed.</summary>
    public const string Section = "EventStream";

    /// <summary>The API's URL up to <c>{clientId}</c>.</summary>
    /// <value>Default <see cref="EventsApiOptions.DefaultBaseUrl"/>.</value>
    public Uri BaseUrl { get; set; } = EventsApiOptions.DefaultBaseUrl;

    /// <summary>The Intilery client id. Required.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The Intilery account id. Required.</summary>
    public string AccountId { get; set; } = "";

    /// <summary>The Intilery brand id. Required.</summary>
    public string BrandId { get; set; } = "";

    /// <summary>The auth token. Required; never logged.</summary>
    public string AuthToken { get; set; } = "";

    /// <summary>See <see cref="EventsApiOptions.AllowInsecureHttp"/>.</summary>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>Event actions to include (sent to the server).</summary>
    public string[] Include { get; set; } = [];

    /// <summary>Event actions to exclude (sent to the server).</summary>
    public string[] Exclude { get; set; } = [];

    /// <summary>Where to start without a checkpoint: <c>now</c>, <c>beginning</c>, <c>latest:N</c> or an ISO 8601 time.</summary>
    /// <value>Default <c>now</c>.</value>
    public string Start { get; set; } = "now";

    /// <summary>See <see cref="FeedOptions.MaxLateness"/>.</summary>
    /// <value>Default 30 seconds.</value>
    public TimeSpan MaxLateness { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>See <see cref="FeedOptions.PollInterval"/>.</summary>
    /// <value>Default 1 second.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>See <see cref="FeedOptions.HoldBack"/>.</summary>
    /// <value>Default 500 milliseconds.</value>
    public TimeSpan HoldBack { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>A file to keep the position in (saved on shutdown, every 5 s and every 500 events); none: in memory.</summary>
    public string? CheckpointFile { get; set; }

    /// <summary>Anything else, in code: the catalog, buffer sizes, an unreadable-event handler (applied last).</summary>
    public Action<FeedOptions>? ConfigureFeed { get; set; }

    /// <summary>Anything else about the client, in code (retries, rate limit; applied last).</summary>
    public Action<EventsApiOptions>? ConfigureApi { get; set; }
}
