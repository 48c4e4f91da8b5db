using EventStream.Feed;

namespace EventStream.Nats;

/// <summary>One feed a relay publishes: which client/account/brand, with which token, what to read, where to start.</summary>
public sealed class RelayFeed
{
    /// <summary>The client id.</summary>
    public required string ClientId { get; init; }

    /// <summary>The account id.</summary>
    public required string AccountId { get; init; }

    /// <summary>The brand id.</summary>
    public required string BrandId { get; init; }

    /// <summary>The auth token (never logged).</summary>
    public required string AuthToken { get; init; }

    /// <summary>The API's base URL; by default <see cref="NatsRelayOptions.BaseUrl"/>.</summary>
    public Uri? BaseUrl { get; init; }

    /// <summary>Event actions to include (empty: all).</summary>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Event actions to exclude.</summary>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>
    /// Where the feed starts the first time any relay owns it: <see cref="FeedStart.Now"/> (the default) is fixed to the
    /// moment of that first ownership and recorded beside the checkpoint, so a relay that takes over before the first
    /// checkpoint starts from the same moment (no gap); after that, the checkpoint.
    /// </summary>
    public FeedStart Start { get; init; } = FeedStart.Now;

    /// <summary>The feed's key in the buckets: <see cref="NatsNames.FeedKey"/>.</summary>
    public string Key => NatsNames.FeedKey(ClientId, AccountId, BrandId);

    /// <inheritdoc />
    public override string ToString() => $"{ClientId}/{AccountId}/{BrandId}";
}
