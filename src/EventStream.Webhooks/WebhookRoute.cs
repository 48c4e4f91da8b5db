using EventStream.Parsing;

namespace EventStream.Webhooks;

/// <summary>
/// One endpoint and the events it gets: actions included or excluded, property filters, the secrets its deliveries are
/// signed with, headers to add, and how much it may queue.
/// </summary>
public sealed class WebhookRoute
{
    /// <summary>The route's name, in logs, status, metrics and dead letters (never the endpoint's path, which may be a capability URL).</summary>
    public required string Name { get; init; }

    /// <summary>Where events are POSTed. <c>https</c>, or <c>http</c> to a loopback host (or with <see cref="AllowInsecureHttp"/>).</summary>
    public required Uri Endpoint { get; init; }

    /// <summary>Only these actions (empty: every action).</summary>
    /// <value>Empty by default.</value>
    public IReadOnlyList<string> Include { get; init; } = [];

    /// <summary>Never these actions.</summary>
    /// <value>Empty by default.</value>
    public IReadOnlyList<string> Exclude { get; init; } = [];

    /// <summary>Conditions every delivered event meets (all of them).</summary>
    /// <value>Empty by default.</value>
    public IReadOnlyList<WebhookPropertyFilter> Properties { get; init; } = [];

    /// <summary>
    /// Signing secrets, <c>whsec_</c> followed by base64 (the Standard Webhooks format); every delivery carries a
    /// signature by each, so that a receiver can rotate: add the new one, switch the receiver, remove the old one. Empty:
    /// deliveries are not signed (for receivers such as a catch hook that cannot verify). Never printed.
    /// </summary>
    /// <value>Empty by default.</value>
    public IReadOnlyList<string> Secrets { get; init; } = [];

    /// <summary>Headers added to every delivery (e.g. an API key the receiver expects); not the <c>webhook-*</c> ones. Their values are never printed.</summary>
    /// <value>Empty by default.</value>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();

    /// <summary>The body: the event's JSON as received, or the Standard Webhooks envelope.</summary>
    /// <value><see cref="WebhookPayload.Event"/> by default.</value>
    public WebhookPayload Payload { get; init; } = WebhookPayload.Event;

    /// <summary>Allows an <c>http://</c> endpoint that is not on this machine (events would travel in cleartext).</summary>
    /// <value><see langword="false"/> by default.</value>
    public bool AllowInsecureHttp { get; init; }

    /// <summary>Events this route may hold (queued, being delivered or waiting for a retry) before <see cref="WhenFull"/> applies.</summary>
    /// <value>1,000 by default.</value>
    public int QueueCapacity { get; init; } = 1_000;

    /// <summary>Deliveries in flight at once (to different customers: one customer's events go one at a time, in order).</summary>
    /// <value>16 by default.</value>
    public int Concurrency { get; init; } = 16;

    /// <summary>What a new event does while the queue is full.</summary>
    /// <value><see cref="WhenQueueFull.Wait"/> by default: the feed pauses.</value>
    public WhenQueueFull WhenFull { get; init; } = WhenQueueFull.Wait;

    /// <summary>Whether the route takes an event: its action included and not excluded, and every property filter met.</summary>
    /// <param name="e">The event.</param>
    /// <returns><see langword="true"/> when the route delivers it.</returns>
    public bool Matches(IntileryEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (Include.Count > 0 && !Contains(Include, e.EventAction))
        {
            return false;
        }

        if (Contains(Exclude, e.EventAction))
        {
            return false;
        }

        foreach (WebhookPropertyFilter filter in Properties)
        {
            if (!filter.Matches(e))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads signing secrets from a file: one per line (blank lines and lines starting with <c>#</c> skipped).</summary>
    /// <param name="path">The file.</param>
    /// <returns>The secrets.</returns>
    public static IReadOnlyList<string> SecretsFromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return [.. File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#'))];
    }

    /// <summary>Reads signing secrets from an environment variable: one, or several separated by spaces or commas.</summary>
    /// <param name="name">The variable's name.</param>
    /// <returns>The secrets.</returns>
    /// <exception cref="ArgumentException">The variable is not set.</exception>
    public static IReadOnlyList<string> SecretsFromEnvironment(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        string value = Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : throw new ArgumentException($"The environment variable {name} is not set.", nameof(name));
        return [.. value.Split([' ', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }

    /// <summary>The route's name and the endpoint's scheme, host and port (its path may hold a capability token).</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"{Name} ({DisplayEndpoint(Endpoint)})";

    internal static string DisplayEndpoint(Uri? endpoint)
        => endpoint is null ? "no endpoint" : endpoint.IsAbsoluteUri ? $"{endpoint.Scheme}://{endpoint.Authority}{(endpoint.AbsolutePath.Length > 1 || endpoint.Query.Length > 0 ? "/…" : "")}" : "a relative URL";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option (never showing a secret).</summary>
    /// <exception cref="ArgumentException">An option is invalid.</exception>
    public void Validate()
    {
        string at = $"Route '{Name}'";
        Require(!string.IsNullOrWhiteSpace(Name), nameof(Name), "Route: Name is required");
        Require(Endpoint is { IsAbsoluteUri: true }, nameof(Endpoint), $"{at}: Endpoint must be an absolute URL");
        Require(Endpoint!.Scheme == Uri.UriSchemeHttps || Endpoint.Scheme == Uri.UriSchemeHttp, nameof(Endpoint), $"{at}: Endpoint must be http or https");
        Require(Endpoint.Scheme == Uri.UriSchemeHttps || Endpoint.IsLoopback || AllowInsecureHttp, nameof(Endpoint),
            $"{at}: Endpoint must use https: over http://{Endpoint.Host} events would travel in cleartext (plain http is allowed only to a loopback host, or with AllowInsecureHttp)");
        Require(Endpoint.UserInfo.Length == 0, nameof(Endpoint), $"{at}: Endpoint must not hold credentials (use Headers)");
        Require(Include is not null && Exclude is not null && Properties is not null && Secrets is not null && Headers is not null, nameof(Include), $"{at}: Include, Exclude, Properties, Secrets and Headers must not be null");
        Require(QueueCapacity >= 1, nameof(QueueCapacity), $"{at}: QueueCapacity must be at least 1");
        Require(Concurrency >= 1, nameof(Concurrency), $"{at}: Concurrency must be at least 1");
        Require(Enum.IsDefined(Payload), nameof(Payload), $"{at}: Payload is not a WebhookPayload");
        Require(Enum.IsDefined(WhenFull), nameof(WhenFull), $"{at}: WhenFull is not a WhenQueueFull");
        for (int i = 0; i < Secrets!.Count; i++)
        {
            Require(Internal.Signer.IsValidSecret(Secrets[i]), nameof(Secrets), $"{at}: Secrets[{i}] must be whsec_ followed by base64 (24 to 64 bytes)");
        }

        foreach (string header in Headers!.Keys)
        {
            Require(!header.StartsWith("webhook-", StringComparison.OrdinalIgnoreCase) && !header.Equals("content-type", StringComparison.OrdinalIgnoreCase)
                && !header.Equals("content-length", StringComparison.OrdinalIgnoreCase) && !header.Equals("host", StringComparison.OrdinalIgnoreCase),
                nameof(Headers), $"{at}: Headers must not set {header} (the forwarder sets it)");
        }
    }

    private static bool Contains(IReadOnlyList<string> list, string value)
    {
        foreach (string item in list)
        {
            if (string.Equals(item, value, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static void Require(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"{rule}.", name);
        }
    }
}
