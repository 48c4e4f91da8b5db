namespace EventStream.Simulator;

/// <summary>How the simulated Events API behaves: identity, limits, data and faults.</summary>
public sealed class SimulatorOptions
{
    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; set; }

    /// <summary>The auth token the server accepts.</summary>
    public string Token { get; set; } = "demo-token";

    /// <summary>The client id in the URL.</summary>
    public string ClientId { get; set; } = "demo";

    /// <summary>The account id in the URL.</summary>
    public string AccountId { get; set; } = "demo";

    /// <summary>The brand id in the URL.</summary>
    public string BrandId { get; set; } = "DEMO";

    /// <summary>
    /// How many client/account/brand combinations the server hosts. The first is <see cref="BrandId"/>; the others are
    /// <see cref="BrandId"/> followed by their number (<c>DEMO2</c>, <c>DEMO3</c>, …), each with its own events.
    /// Backlog and live traffic are spread across them at random.
    /// </summary>
    /// <value>Default 1.</value>
    public int Brands { get; set; } = 1;

    /// <summary>
    /// Whether all brands share <see cref="Token"/> (and so one token bucket); otherwise brand <c>n</c> &gt; 1 has the token
    /// <see cref="Token"/><c>-n</c> and a bucket of its own.
    /// </summary>
    public bool SharedToken { get; set; }

    /// <summary>The brand id of brand <paramref name="index"/> (0-based).</summary>
    /// <param name="index">0 to <see cref="Brands"/> − 1.</param>
    /// <returns><see cref="BrandId"/> for the first, then <see cref="BrandId"/> and its number.</returns>
    public string BrandIdAt(int index) => index == 0 ? BrandId : $"{BrandId}{index + 1}";

    /// <summary>The token brand <paramref name="index"/> (0-based) accepts.</summary>
    /// <param name="index">0 to <see cref="Brands"/> − 1.</param>
    /// <returns><see cref="Token"/>, or with <see cref="SharedToken"/> off and a later brand, <see cref="Token"/><c>-n</c>.</returns>
    public string TokenAt(int index) => index == 0 || SharedToken ? Token : $"{Token}-{index + 1}";

    /// <summary>Token bucket rate per auth token; 0 turns rate limiting off.</summary>
    public double RequestsPerSecond { get; set; } = 100;

    /// <summary>Token bucket capacity.</summary>
    public int Burst { get; set; } = 500;

    /// <summary>Whether <c>start</c>/<c>end</c> include events exactly at the bound (the documented reading is exclusive).</summary>
    public bool InclusiveBounds { get; set; }

    /// <summary>Largest request accepted, request line and headers and body together; beyond it, 413.</summary>
    public int MaxRequestBytes { get; set; } = 1024 * 1024;

    /// <summary>Events generated over the hour before start (across all brands).</summary>
    public int Backlog { get; set; }

    /// <summary>How far back the backlog reaches.</summary>
    public TimeSpan BacklogSpan { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long before start the backlog ends (an old backlog is fully settled: nothing in it can still arrive late).</summary>
    /// <value>Default: zero (the backlog ends at start).</value>
    public TimeSpan BacklogAge { get; set; }

    /// <summary>Live events per second across all brands (0: none).</summary>
    public double LiveRate { get; set; }

    /// <summary>Share of generated events whose eventTime lags their receipt by up to <see cref="MaxLate"/>.</summary>
    public double LateShare { get; set; }

    /// <summary>The most a late event lags.</summary>
    public TimeSpan MaxLate { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Share of generated events that come in bursts sharing one millisecond.</summary>
    public double BurstShare { get; set; } = 0.05;

    /// <summary>The most events one burst puts in a millisecond.</summary>
    public int MaxBurstSize { get; set; } = 200;

    /// <summary>Delay between receipt and visibility to queries (index refresh), drawn up to this bound.</summary>
    public TimeSpan MaxIndexDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Share of requests answered with a 5xx.</summary>
    public double ErrorRate { get; set; }

    /// <summary>Share of 200 responses whose body is cut short.</summary>
    public double TruncateRate { get; set; }

    /// <summary>Share of 200 responses whose body is not valid JSON.</summary>
    public double MalformedRate { get; set; }

    /// <summary>Compress pages with gzip when the request accepts it (as an API behind a gateway does).</summary>
    public bool Compression { get; set; }

    /// <summary>Latency added to every response, drawn up to this bound.</summary>
    public TimeSpan MaxAddedLatency { get; set; }

    /// <summary>
    /// How long events are kept, by eventTime: older ones are dropped as the API ages them out, and a query into the dropped
    /// range answers an empty page with <c>total</c> counting only the events still held. <see langword="null"/> keeps them all.
    /// </summary>
    /// <value>Default <see langword="null"/> (keep every event: tests and benchmarks add what they need). <c>eventstream serve</c> keeps an hour more than its backlog reaches (<c>--retention</c>); the CLI's demos an hour.</value>
    public TimeSpan? Retention { get; set; }

    /// <summary>
    /// The most events held across all brands (each brand keeps at most its share, rounded up); past it the oldest are
    /// dropped first, as <see cref="Retention"/> drops them. <see langword="null"/>: no cap.
    /// </summary>
    /// <value>Default <see langword="null"/>. <c>eventstream serve</c> holds 200,000 (<c>--max-events</c>); the CLI's demos 100,000.</value>
    public int? MaxEvents { get; set; }

    /// <summary>How many requests <see cref="IntilerySimulator.Requests"/> keeps (the newest; 0 keeps none).</summary>
    /// <value>Default 200,000.</value>
    public int MaxLoggedRequests { get; set; } = 200_000;

    /// <summary>The most events one brand holds: its share of <see cref="MaxEvents"/>, rounded up.</summary>
    internal int? MaxEventsPerBrand => MaxEvents is { } max ? (int)Math.Ceiling(max / (double)Brands) : null;

    /// <summary>Seed for data and faults; the same seed gives the same data and fault schedule.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>The server's clock.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Require(Port is >= 0 and <= 65535, nameof(Port), "must be 0..65535");
        Require(!string.IsNullOrEmpty(Token), nameof(Token), "is required");
        Require(!string.IsNullOrEmpty(ClientId), nameof(ClientId), "is required");
        Require(!string.IsNullOrEmpty(AccountId), nameof(AccountId), "is required");
        Require(!string.IsNullOrEmpty(BrandId), nameof(BrandId), "is required");
        Require(RequestsPerSecond >= 0, nameof(RequestsPerSecond), "must be 0 (off) or more");
        Require(Burst >= 1, nameof(Burst), "must be at least 1");
        Require(Brands is >= 1 and <= 100_000, nameof(Brands), "must be between 1 and 100,000");
        Require(Backlog >= 0, nameof(Backlog), "must be 0 or more");
        Require(BacklogSpan > TimeSpan.Zero, nameof(BacklogSpan), "must be positive");
        Require(BacklogAge >= TimeSpan.Zero, nameof(BacklogAge), "must be 0 or more");
        Require(LiveRate >= 0, nameof(LiveRate), "must be 0 or more");
        Require(LateShare is >= 0 and <= 1, nameof(LateShare), "must be between 0 and 1");
        Require(MaxLate >= TimeSpan.Zero, nameof(MaxLate), "must not be negative");
        Require(BurstShare is >= 0 and <= 1, nameof(BurstShare), "must be between 0 and 1");
        Require(MaxBurstSize >= 1, nameof(MaxBurstSize), "must be at least 1");
        Require(MaxIndexDelay >= TimeSpan.Zero, nameof(MaxIndexDelay), "must not be negative");
        Require(ErrorRate is >= 0 and <= 1, nameof(ErrorRate), "must be between 0 and 1");
        Require(TruncateRate is >= 0 and <= 1, nameof(TruncateRate), "must be between 0 and 1");
        Require(MalformedRate is >= 0 and <= 1, nameof(MalformedRate), "must be between 0 and 1");
        Require(MaxAddedLatency >= TimeSpan.Zero, nameof(MaxAddedLatency), "must not be negative");
        Require(Retention is not { } retention || retention > TimeSpan.Zero, nameof(Retention), "must be positive (or null to keep every event)");
        Require(MaxEvents is not { } maxEvents || maxEvents >= 1, nameof(MaxEvents), "must be at least 1 (or null for no cap)");
        Require(MaxLoggedRequests >= 0, nameof(MaxLoggedRequests), "must be 0 or more");
        Require(TimeProvider is not null, nameof(TimeProvider), "is required");
    }

    private static void Require(bool condition, string name, string rule)
    {
        if (!condition)
        {
            throw new ArgumentException($"{name} {rule}.", name);
        }
    }
}
