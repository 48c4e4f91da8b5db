using Microsoft.Extensions.Logging;

namespace EventStream.Api;

/// <summary>Where the Events API is, how to authenticate, and how the client paces and retries its requests.</summary>
/// <remarks>Validated when a client is created; each error names the option. <see cref="ToString"/> never shows the token.</remarks>
public sealed class EventsApiOptions
{
    /// <summary>The default base URL: the part of the events URL before <c>{clientId}</c>.</summary>
    public static readonly Uri DefaultBaseUrl = new("https://tracking.intilery.com/track/");

    /// <summary>The part of the events URL before <c>{clientId}</c>.</summary>
    /// <value>Default <c>https://tracking.intilery.com/track/</c>.</value>
    public Uri BaseUrl { get; set; } = DefaultBaseUrl;

    /// <summary>The Intilery client id. Required.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The Intilery account id. Required.</summary>
    public string AccountId { get; set; } = "";

    /// <summary>The Intilery brand id. Required.</summary>
    public string BrandId { get; set; } = "";

    /// <summary>The shared secret sent in the <c>auth-token</c> header. Required; never logged or shown.</summary>
    public string AuthToken { get; set; } = "";

    /// <summary>How long one attempt may take, headers and body together.</summary>
    /// <value>Default 30 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times a transient failure is retried before it is thrown.</summary>
    /// <value>Default 6.</value>
    public int MaxRetries { get; set; } = 6;

    /// <summary>The first retry's delay; later ones grow exponentially, with jitter.</summary>
    /// <value>Default 200 ms.</value>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest delay between retries (a longer <c>Retry-After</c> is still honoured).</summary>
    /// <value>Default 30 seconds.</value>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Requests per second allowed by the client-side token bucket, shared by every client with the same token.</summary>
    /// <value>Default 100, the API's documented limit.</value>
    public int RequestsPerSecond { get; set; } = 100;

    /// <summary>The API's burst. The client's bucket holds 5% fewer tokens (at most 5 fewer), so that network jitter never turns into a 429.</summary>
    /// <value>Default 500, the API's documented burst.</value>
    public int Burst { get; set; } = 500;

    /// <summary>The largest response body accepted.</summary>
    /// <value>Default 16 MiB (a full page is about 1 MiB at most).</value>
    public int MaxResponseBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>The clock for delays, timeouts and the token bucket.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Allows <see cref="BaseUrl"/> to use plain <c>http://</c> to a host that is not loopback, sending the auth token in
    /// cleartext. Only for a trusted network (e.g. a TLS-terminating sidecar on another host).
    /// </summary>
    /// <value>Default <see langword="false"/>: http is refused except to 127.0.0.1, ::1 and localhost.</value>
    public bool AllowInsecureHttp { get; set; }

    /// <summary>The longest wait for a connection (DNS and TCP/TLS handshake) in one attempt; part of <see cref="RequestTimeout"/>.</summary>
    /// <value>Default 5 seconds, so that an unreachable host fails each attempt quickly and the retries are seen.</value>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Where retries and failures are logged (never with the token).</summary>
    /// <value>Default: no logging.</value>
    public ILogger? Logger { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        if (BaseUrl is null || !BaseUrl.IsAbsoluteUri || (BaseUrl.Scheme != Uri.UriSchemeHttps && BaseUrl.Scheme != Uri.UriSchemeHttp))
        {
            throw new ArgumentException("BaseUrl must be an absolute http or https URL, e.g. https://tracking.intilery.com/track/.", nameof(BaseUrl));
        }

        if (BaseUrl.Scheme == Uri.UriSchemeHttp && !BaseUrl.IsLoopback && !AllowInsecureHttp)
        {
            throw new ArgumentException(
                $"BaseUrl must use https: over http://{BaseUrl.Host} the auth token would travel in cleartext (plain http is allowed only to a loopback host, or with AllowInsecureHttp).",
                nameof(BaseUrl));
        }

        if (!string.IsNullOrEmpty(BaseUrl.Query) || !string.IsNullOrEmpty(BaseUrl.Fragment))
        {
            throw new ArgumentException("BaseUrl must not have a query or fragment.", nameof(BaseUrl));
        }

        RequireSegment(ClientId, nameof(ClientId));
        RequireSegment(AccountId, nameof(AccountId));
        RequireSegment(BrandId, nameof(BrandId));
        if (string.IsNullOrWhiteSpace(AuthToken))
        {
            throw new ArgumentException("AuthToken is required.", nameof(AuthToken));
        }

        if (AuthToken.AsSpan().ContainsAny('\r', '\n'))
        {
            throw new ArgumentException("AuthToken must not contain line breaks.", nameof(AuthToken));
        }

        RequirePositive(RequestTimeout, nameof(RequestTimeout));
        RequirePositive(ConnectTimeout, nameof(ConnectTimeout));
        RequirePositive(RetryBaseDelay, nameof(RetryBaseDelay));
        RequirePositive(MaxRetryDelay, nameof(MaxRetryDelay));
        if (MaxRetryDelay < RetryBaseDelay)
        {
            throw new ArgumentException("MaxRetryDelay must be at least RetryBaseDelay.", nameof(MaxRetryDelay));
        }

        if (MaxRetries < 0)
        {
            throw new ArgumentException("MaxRetries must be 0 or more.", nameof(MaxRetries));
        }

        if (RequestsPerSecond <= 0)
        {
            throw new ArgumentException("RequestsPerSecond must be positive.", nameof(RequestsPerSecond));
        }

        if (Burst <= 0)
        {
            throw new ArgumentException("Burst must be positive.", nameof(Burst));
        }

        if (MaxResponseBytes < 1024)
        {
            throw new ArgumentException("MaxResponseBytes must be at least 1024.", nameof(MaxResponseBytes));
        }

        if (TimeProvider is null)
        {
            throw new ArgumentException("TimeProvider is required.", nameof(TimeProvider));
        }
    }

    /// <summary>A copy of these options (the client keeps its own, so later changes do not affect it).</summary>
    /// <returns>The copy.</returns>
    public EventsApiOptions Clone() => (EventsApiOptions)MemberwiseClone();

    /// <inheritdoc />
    public override string ToString()
        => $"EventsApiOptions {{ BaseUrl = {BaseUrl}, ClientId = {ClientId}, AccountId = {AccountId}, BrandId = {BrandId}, AuthToken = {(string.IsNullOrEmpty(AuthToken) ? "(none)" : "***")} }}";

    private static void RequireSegment(string value, string name)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException($"{name} is required.", name);
        }

        if (value.AsSpan().ContainsAny('/', '?', '#'))
        {
            throw new ArgumentException($"{name} must not contain '/', '?' or '#'.", name);
        }
    }

    private static void RequirePositive(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentException($"{name} must be positive.", name);
        }
    }
}
