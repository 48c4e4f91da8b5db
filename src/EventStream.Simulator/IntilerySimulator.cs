using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace EventStream.Simulator;

/// <summary>
/// A real HTTP server (Kestrel, 127.0.0.1) that answers like the Intilery Events API: auth, content-type,
/// every query parameter and its errors, 404s, the token bucket with 429 and <c>Retry-After</c>, 413, the
/// 10,000-result window, default <c>sort=desc</c>, <c>x-amzn-RequestId</c> and <c>total</c>; with synthetic
/// backlog and live traffic, late events, same-millisecond bursts and deterministic fault injection.
/// </summary>
public sealed class IntilerySimulator : IAsyncDisposable
{
    /// <summary>The most results <c>from</c> + <c>size</c> can reach.</summary>
    public const int ResultWindow = 10_000;

    private const int MaxLoggedRequests = 200_000;
    private readonly SimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly SimulatedBrand[] _brands;
    private readonly Dictionary<(string Client, string Account, string Brand), SimulatedBrand> _byPath = [];
    private readonly Dictionary<string, TokenBucket?> _buckets = new(StringComparer.Ordinal); // every token accepted, with its bucket
    private readonly ConcurrentQueue<(long Sequence, RequestRecord Record)> _requests = new();
    private readonly Random _faults;
    private readonly Lock _faultLock = new();
    private WebApplication? _app;
    private ITimer? _liveTimer;
    private long _liveLast;
    private double _liveOwed;
    private long _rateLimited;
    private long _requestCount;

    private IntilerySimulator(SimulatorOptions options)
    {
        _options = options;
        _time = options.TimeProvider;
        _brands = [.. Enumerable.Range(0, options.Brands).Select(i => new SimulatedBrand(i, options))];
        foreach (SimulatedBrand brand in _brands)
        {
            _byPath[(brand.ClientId, brand.AccountId, brand.BrandId)] = brand;
            if (!_buckets.ContainsKey(brand.Token))
            {
                _buckets[brand.Token] = options.RequestsPerSecond > 0 ? new TokenBucket(options.RequestsPerSecond, options.Burst, _time) : null;
            }
        }

        _faults = new Random(unchecked(options.Seed * 7919 + 17));
    }

    /// <summary>The URL to configure a client with: the part before <c>{clientId}</c>, e.g. <c>http://127.0.0.1:5123/track/</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The options the simulator runs with.</summary>
    public SimulatorOptions Options => _options;

    /// <summary>The generator of the first brand's synthetic events; use it to make events to <see cref="Add(SimulatedEvent)"/>.</summary>
    public SyntheticEvents Events => _brands[0].Events;

    /// <summary>The client/account/brand combinations served (<see cref="SimulatorOptions.Brands"/>), the first being the options' own.</summary>
    public IReadOnlyList<SimulatedBrand> Brands => _brands;

    /// <summary>Requests answered so far, in order of arrival (a request still being answered is listed once it is answered).</summary>
    public IReadOnlyList<RequestRecord> Requests => [.. _requests.OrderBy(r => r.Sequence).Select(r => r.Record)];

    /// <summary>How many requests were received.</summary>
    public long RequestCount => Interlocked.Read(ref _requestCount);

    /// <summary>How many <c>429</c> responses were served.</summary>
    public long RateLimitedCount => Interlocked.Read(ref _rateLimited);

    /// <summary>How many events the simulator holds across its brands (visible or not yet).</summary>
    public int EventCount => _brands.Length == 1 ? _brands[0].EventCount : _brands.Sum(b => b.EventCount);

    /// <summary>Starts a simulator on 127.0.0.1.</summary>
    /// <param name="options">How it behaves; validated.</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    /// <returns>The running simulator.</returns>
    public static async Task<IntilerySimulator> StartAsync(SimulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SimulatorOptions();
        options.Validate();
        var simulator = new IntilerySimulator(options);
        DateTimeOffset backlogEnd = options.TimeProvider.GetUtcNow() - options.BacklogAge;
        simulator.AddBacklog(options.Brands == 1 ? simulator._brands[0] : null, options.Backlog, backlogEnd - options.BacklogSpan, backlogEnd);
        await simulator.StartServerAsync(cancellationToken).ConfigureAwait(false);
        if (options.LiveRate > 0)
        {
            simulator.StartLiveTraffic();
        }

        return simulator;
    }

    /// <summary>Adds one event to the first brand.</summary>
    /// <param name="e">The event.</param>
    public void Add(SimulatedEvent e) => _brands[0].Add(e);

    /// <summary>Adds events to the first brand.</summary>
    /// <param name="events">The events.</param>
    public void Add(IEnumerable<SimulatedEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        foreach (SimulatedEvent e in events)
        {
            _brands[0].Add(e);
        }
    }

    /// <summary>All events held, of every brand, in no particular order.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<SimulatedEvent> Snapshot() => _brands.Length == 1 ? _brands[0].Snapshot() : [.. _brands.SelectMany(b => b.Snapshot())];

    /// <summary>
    /// Adds <paramref name="count"/> synthetic events with eventTime between <paramref name="from"/> and <paramref name="to"/>,
    /// with the options' share of same-millisecond bursts and of late receipt.
    /// </summary>
    /// <param name="count">How many.</param>
    /// <param name="from">Earliest eventTime.</param>
    /// <param name="to">Latest eventTime.</param>
    /// <returns>The events added.</returns>
    public IReadOnlyList<SimulatedEvent> AddBacklog(int count, DateTimeOffset from, DateTimeOffset to) => AddBacklog(_brands[0], count, from, to);

    // To one brand, or (null) spread at random across all of them.
    private List<SimulatedEvent> AddBacklog(SimulatedBrand? target, int count, DateTimeOffset from, DateTimeOffset to)
    {
        SyntheticEvents draw = _brands[0].Events;
        var added = new List<SimulatedEvent>(count);
        long spanMs = Math.Max(1, (long)(to - from).TotalMilliseconds);
        double meanBurst = (2 + _options.MaxBurstSize) / 2.0;
        double burstStart = _options.BurstShare <= 0 ? 0 : _options.BurstShare / (meanBurst - (_options.BurstShare * meanBurst) + _options.BurstShare);
        while (added.Count < count)
        {
            DateTimeOffset time = from.AddMilliseconds(draw.Next(0, (int)Math.Min(int.MaxValue, spanMs)));
            int size = draw.NextDouble() < burstStart ? Math.Min(count - added.Count, draw.Next(2, _options.MaxBurstSize + 1)) : 1;
            SimulatedBrand brand = target ?? _brands[draw.Next(0, _brands.Length)];
            for (int i = 0; i < size; i++)
            {
                SimulatedEvent e = brand.Events.Create(time, ReceivedFor(time, time));
                brand.Store.Add(e);
                added.Add(e);
            }
        }

        return added;
    }

    private DateTimeOffset ReceivedFor(DateTimeOffset eventTime, DateTimeOffset earliest)
    {
        SyntheticEvents draw = _brands[0].Events;
        bool late = _options.LateShare > 0 && draw.NextDouble() < _options.LateShare;
        double lagMs = late ? draw.NextDouble() * _options.MaxLate.TotalMilliseconds : draw.Next(5, 300);
        DateTimeOffset received = eventTime.AddMilliseconds(lagMs);
        return received < earliest ? earliest : received;
    }

    private void StartLiveTraffic()
    {
        _liveLast = _time.GetTimestamp();
        _liveTimer = _time.CreateTimer(static s => ((IntilerySimulator)s!).GenerateLive(), this, TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(20));
    }

    private void GenerateLive()
    {
        long now = _time.GetTimestamp();
        _liveOwed += _time.GetElapsedTime(_liveLast, now).TotalSeconds * _options.LiveRate;
        _liveLast = now;
        int due = (int)_liveOwed;
        _liveOwed -= due;
        DateTimeOffset received = SyntheticEvents.TruncateToMs(_time.GetUtcNow());
        SyntheticEvents draw = _brands[0].Events;
        while (due > 0)
        {
            bool burst = _options.BurstShare > 0 && draw.NextDouble() < _options.BurstShare;
            int size = burst ? Math.Min(due, draw.Next(2, _options.MaxBurstSize + 1)) : 1;
            bool late = _options.LateShare > 0 && draw.NextDouble() < _options.LateShare;
            DateTimeOffset eventTime = received.AddMilliseconds(-(late ? draw.NextDouble() * _options.MaxLate.TotalMilliseconds : draw.Next(0, 100)));
            SimulatedBrand brand = _brands.Length == 1 ? _brands[0] : _brands[draw.Next(0, _brands.Length)];
            for (int i = 0; i < size; i++)
            {
                DateTimeOffset visible = received.AddMilliseconds(draw.NextDouble() * _options.MaxIndexDelay.TotalMilliseconds);
                brand.Store.Add(brand.Events.Create(eventTime, received, visible));
            }

            due -= size;
        }
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, _options.Port);
            kestrel.AddServerHeader = false;
            // Room for requests past the API's 1 MB limit, so that they get the API's 413 rather than Kestrel's 414/431.
            kestrel.Limits.MaxRequestLineSize = 4 * 1024 * 1024;
            kestrel.Limits.MaxRequestHeadersTotalSize = 4 * 1024 * 1024;
            kestrel.Limits.MaxRequestBufferSize = 8 * 1024 * 1024;
            kestrel.Limits.MaxRequestBodySize = 4 * 1024 * 1024;
        });
        WebApplication app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _app = app;
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseUrl = new Uri(address.TrimEnd('/') + "/track/");
    }

    private async Task HandleAsync(HttpContext context)
    {
        // Numbered and timed on arrival: a handler that ends later (an aborted response) is still logged in arrival order.
        long sequence = Interlocked.Increment(ref _requestCount);
        DateTimeOffset arrived = _time.GetUtcNow();
        HttpRequest request = context.Request;
        HttpResponse response = context.Response;
        string requestId = Guid.NewGuid().ToString();
        response.Headers["x-amzn-RequestId"] = requestId;
        string? contentType = request.Headers.ContentType.Count > 0 ? request.Headers.ContentType.ToString() : null;
        string? presented = request.Headers.TryGetValue("auth-token", out StringValues token) && token.Count == 1 ? token[0] : null;
        bool validToken = presented is not null && _buckets.ContainsKey(presented);
        string? fault = null;
        int status = await RespondAsync(context, validToken ? presented : null, contentType, f => fault = f).ConfigureAwait(false);
        if (_requests.Count < MaxLoggedRequests)
        {
            _requests.Enqueue((sequence, new RequestRecord(arrived, request.Path.Value ?? "", request.QueryString.Value ?? "", contentType, validToken, status, requestId, fault)));
        }
    }

    private async Task<int> RespondAsync(HttpContext context, string? validToken, string? contentType, Action<string> setFault)
    {
        HttpRequest request = context.Request;
        if (RequestSize(request) > _options.MaxRequestBytes)
        {
            return await ErrorAsync(context, 413, "invalid_request_error", $"Request size exceeds the limit of {_options.MaxRequestBytes} bytes.").ConfigureAwait(false);
        }

        if (!HttpMethods.IsGet(request.Method))
        {
            return await ErrorAsync(context, 404, "not_found", "Not found.").ConfigureAwait(false);
        }

        string[] segments = (request.Path.Value ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        bool isEvents = segments.Length == 6 && segments[0] == "track" && segments[4] == "v1" && segments[5] == "events";
        if (!isEvents)
        {
            return await ErrorAsync(context, 404, "not_found", "Not found.").ConfigureAwait(false);
        }

        if (validToken is null)
        {
            return await ErrorAsync(context, 401, "authentication_error", "Missing or invalid auth-token.").ConfigureAwait(false);
        }

        if (_buckets[validToken] is { } bucket && !bucket.TryTake(out TimeSpan retryAfter))
        {
            Interlocked.Increment(ref _rateLimited);
            context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            return await ErrorAsync(context, 429, "rate_limit_error", "Rate limit exceeded.").ConfigureAwait(false);
        }

        if (contentType is null || !contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase))
        {
            return await ErrorAsync(context, 400, "invalid_request_error", "The content-type header must be application/json.").ConfigureAwait(false);
        }

        if (!_byPath.TryGetValue((Uri.UnescapeDataString(segments[1]), Uri.UnescapeDataString(segments[2]), Uri.UnescapeDataString(segments[3])), out SimulatedBrand? brand))
        {
            return await ErrorAsync(context, 404, "not_found", "Unknown client, account or brand.").ConfigureAwait(false);
        }

        if (brand.Token != validToken)
        {
            return await ErrorAsync(context, 403, "permission_error", "The auth-token does not grant access to this brand.").ConfigureAwait(false);
        }

        if (ParseQuery(request.Query) is (string error, _))
        {
            return await ErrorAsync(context, 400, "validation_error", error).ConfigureAwait(false);
        }

        EventQuery query = ParseQuery(request.Query).Query;
        (bool fail, int failStatus, bool truncate, bool malformed, TimeSpan latency, int cutSeed) = DrawFaults();
        if (latency > TimeSpan.Zero)
        {
            await Task.Delay(latency, _time, context.RequestAborted).ConfigureAwait(false);
        }

        if (fail)
        {
            setFault("error");
            return await ErrorAsync(context, failStatus, "internal_server_error", "Internal server error.").ConfigureAwait(false);
        }

        (long total, List<SimulatedEvent> page) = brand.Store.Query(query, _time.GetUtcNow());
        byte[] body = SyntheticEvents.Page(page, total);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        if (truncate)
        {
            setFault("truncated");
            int cut = 1 + (cutSeed % Math.Max(1, body.Length - 1));
            if (cutSeed % 2 == 0)
            {
                // Promise the whole body, send part of it, drop the connection.
                context.Response.ContentLength = body.Length;
                await context.Response.Body.WriteAsync(body.AsMemory(0, cut), context.RequestAborted).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(context.RequestAborted).ConfigureAwait(false);
                context.Abort();
            }
            else
            {
                // A well-framed response whose JSON simply stops.
                context.Response.ContentLength = cut;
                await context.Response.Body.WriteAsync(body.AsMemory(0, cut), context.RequestAborted).ConfigureAwait(false);
            }

            return 200;
        }

        if (malformed)
        {
            setFault("malformed");
            int cut = cutSeed % body.Length;
            body = [.. body.AsSpan(0, cut), .. "#"u8];
        }

        if (_options.Compression && request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            body = Gzip(body);
            context.Response.Headers.ContentEncoding = "gzip";
            context.Response.Headers.Vary = "Accept-Encoding";
        }

        context.Response.ContentLength = body.Length;
        await context.Response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        return 200;
    }

    private static byte[] Gzip(byte[] body)
    {
        using var compressed = new MemoryStream(body.Length / 4);
        using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(body);
        }

        return compressed.ToArray();
    }

    private (bool Fail, int Status, bool Truncate, bool Malformed, TimeSpan Latency, int CutSeed) DrawFaults()
    {
        lock (_faultLock)
        {
            double roll = _faults.NextDouble();
            int[] statuses = [500, 502, 503, 504];
            int status = statuses[_faults.Next(statuses.Length)];
            TimeSpan latency = _options.MaxAddedLatency > TimeSpan.Zero ? _options.MaxAddedLatency * _faults.NextDouble() : TimeSpan.Zero;
            int cutSeed = _faults.Next(0, int.MaxValue);
            bool fail = roll < _options.ErrorRate;
            bool truncate = !fail && roll < _options.ErrorRate + _options.TruncateRate;
            bool malformed = !fail && !truncate && roll < _options.ErrorRate + _options.TruncateRate + _options.MalformedRate;
            return (fail, status, truncate, malformed, latency, cutSeed);
        }
    }

    private (string? Error, EventQuery Query) ParseQuery(IQueryCollection q)
    {
        HashSet<string>? include = null, exclude = null;
        DateTimeOffset? start = null, end = null;
        bool descending = true;
        int from = 0, size = 10;
        if (q.TryGetValue("include", out StringValues inc))
        {
            if (Actions(inc.ToString()) is not { } set)
            {
                return ("include must be a comma-separated list of event actions.", default);
            }

            include = set;
        }

        if (q.TryGetValue("exclude", out StringValues exc))
        {
            if (Actions(exc.ToString()) is not { } set)
            {
                return ("exclude must be a comma-separated list of event actions.", default);
            }

            exclude = set;
        }

        if (q.TryGetValue("start", out StringValues s))
        {
            if (Time(s.ToString()) is not { } t)
            {
                return ($"start '{s}' is not an ISO 8601 date-time.", default);
            }

            start = t;
        }

        if (q.TryGetValue("end", out StringValues e))
        {
            if (Time(e.ToString()) is not { } t)
            {
                return ($"end '{e}' is not an ISO 8601 date-time.", default);
            }

            end = t;
        }

        if (start is { } a && end is { } b && a >= b)
        {
            return ("start must be before end.", default);
        }

        if (q.TryGetValue("sort", out StringValues sort))
        {
            switch (sort.ToString())
            {
                case "asc": descending = false; break;
                case "desc": descending = true; break;
                default: return ($"sort must be asc or desc, not '{sort}'.", default);
            }
        }

        if (q.TryGetValue("from", out StringValues f) && (!int.TryParse(f.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out from)))
        {
            return ($"from must be a non-negative integer, not '{f}'.", default);
        }

        if (q.TryGetValue("size", out StringValues z) && (!int.TryParse(z.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out size) || size is < 1 or > 100))
        {
            return ($"size must be an integer from 1 to 100, not '{z}'.", default);
        }

        if ((long)from + size > ResultWindow)
        {
            return ($"Result window is too large, from + size must be less than or equal to: [{ResultWindow}] but was [{(long)from + size}].", default);
        }

        return (null, new EventQuery(include, exclude, start, end, descending, from, size, _options.InclusiveBounds));
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

    private static long RequestSize(HttpRequest request)
    {
        long size = request.Method.Length + (request.Path.Value?.Length ?? 0) + (request.QueryString.Value?.Length ?? 0) + 12;
        foreach (KeyValuePair<string, StringValues> header in request.Headers)
        {
            size += header.Key.Length + header.Value.ToString().Length + 4;
        }

        return size + (request.ContentLength ?? 0);
    }

    private static async Task<int> ErrorAsync(HttpContext context, int status, string code, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, SyntheticEvents.WriterOptions))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("code", code);
            writer.WriteString("message", message);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        context.Response.ContentLength = buffer.Length;
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted).ConfigureAwait(false);
        return status;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_liveTimer is not null)
        {
            await _liveTimer.DisposeAsync().ConfigureAwait(false);
        }

        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The simulator's view of a base URL, for messages.</summary>
    /// <returns>The base URL.</returns>
    public override string ToString() => $"IntilerySimulator {BaseUrl}";
}
