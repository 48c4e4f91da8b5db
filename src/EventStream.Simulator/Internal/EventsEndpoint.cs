using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace EventStream.Simulator.Internal;

/// <summary>
/// <c>GET /track/{client}/{account}/{brand}/v1/events</c> as the API answers it: size, method, path, auth, the token bucket,
/// content-type, brand and query checks in the API's order and with its errors; then the page, with the injected faults.
/// Every request is counted and logged.
/// </summary>
internal sealed class EventsEndpoint
{
    private readonly SimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<(string Client, string Account, string Brand), SimulatedBrand> _byPath = [];

    /// <summary>Every token accepted, with its bucket (null: no rate limit).</summary>
    private readonly Dictionary<string, TokenBucket?> _buckets = new(StringComparer.Ordinal);
    private readonly FaultInjector _faults;

    /// <summary>Requests received; also numbers them on arrival.</summary>
    private long _requestCount;

    /// <summary><c>429</c>s served.</summary>
    private long _rateLimited;

    public EventsEndpoint(SimulatorOptions options, IReadOnlyList<SimulatedBrand> brands)
    {
        _options = options;
        _time = options.TimeProvider;
        _faults = new FaultInjector(options);
        Log = new RequestLog(options.MaxLoggedRequests);
        foreach (SimulatedBrand brand in brands)
        {
            _byPath[(brand.ClientId, brand.AccountId, brand.BrandId)] = brand;
            if (!_buckets.ContainsKey(brand.Token))
            {
                _buckets[brand.Token] = options.RequestsPerSecond > 0 ? new TokenBucket(options.RequestsPerSecond, options.Burst, _time) : null;
            }
        }
    }

    public RequestLog Log { get; }

    public long RequestCount => Interlocked.Read(ref _requestCount);

    public long RateLimitedCount => Interlocked.Read(ref _rateLimited);

    public async Task HandleAsync(HttpContext context)
    {
        // Numbered and timed on arrival: a handler that ends later (an aborted response) is still logged in arrival order.
        long sequence = Interlocked.Increment(ref _requestCount);
        DateTimeOffset arrived = _time.GetUtcNow();
        HttpRequest request = context.Request;
        string requestId = Guid.NewGuid().ToString();
        context.Response.Headers["x-amzn-RequestId"] = requestId;
        string? contentType = request.Headers.ContentType.Count > 0 ? request.Headers.ContentType.ToString() : null;
        string? presented = request.Headers.TryGetValue("auth-token", out StringValues token) && token.Count == 1 ? token[0] : null;
        bool validToken = presented is not null && _buckets.ContainsKey(presented);
        // Logged as the response starts, before the client can have any of it (a client that reads the log after its
        // response sees its request there); a response that never starts (the client went away) is logged at the end.
        var entry = new Entry(Log, sequence, new RequestRecord(arrived, request.Path.Value ?? "", request.QueryString.Value ?? "", contentType, validToken, 0, requestId, null), context.Response);
        context.Response.OnStarting(static state => ((Entry)state).Started(), entry);
        (int status, string? fault) = await RespondAsync(context, validToken ? presented : null, contentType, entry).ConfigureAwait(false);
        entry.Ended(status, fault);
    }

    private async Task<(int Status, string? Fault)> RespondAsync(HttpContext context, string? validToken, string? contentType, Entry entry)
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

        if (!EventQueryParser.TryParse(request.Query, _options.InclusiveBounds, out EventQuery query, out string? invalid))
        {
            return await ErrorAsync(context, 400, "validation_error", invalid).ConfigureAwait(false);
        }

        Faults faults = _faults.Next();
        if (faults.Latency > TimeSpan.Zero)
        {
            await Task.Delay(faults.Latency, _time, context.RequestAborted).ConfigureAwait(false);
        }

        if (faults.Fail)
        {
            entry.Fault = "error";
            (int status, _) = await ErrorAsync(context, faults.Status, "internal_server_error", "Internal server error.").ConfigureAwait(false);
            return (status, "error");
        }

        (long total, List<SimulatedEvent> page) = brand.Store.Query(query, _time.GetUtcNow());
        byte[] body = SyntheticEvents.Page(page, total);
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        if (faults.Truncate)
        {
            entry.Fault = "truncated";
            await WriteTruncatedAsync(context, body, faults.CutSeed).ConfigureAwait(false);
            return (200, "truncated");
        }

        string? fault = null;
        if (faults.Malformed)
        {
            fault = entry.Fault = "malformed";
            int cut = faults.CutSeed % body.Length;
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
        return (200, fault);
    }

    private static async Task WriteTruncatedAsync(HttpContext context, byte[] body, int cutSeed)
    {
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
    }

    private static byte[] Gzip(byte[] body)
    {
        using var compressed = new MemoryStream(body.Length / 4);
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(body);
        }

        return compressed.ToArray();
    }

    private static long RequestSize(HttpRequest request)
    {
        long size = request.Method.Length + (request.Path.Value?.Length ?? 0) + (request.QueryString.Value?.Length ?? 0) + 12;
        foreach (KeyValuePair<string, StringValues> header in request.Headers)
        {
            size += header.Key.Length + header.Value.ToString().Length + 4;
        }

        return size + (request.ContentLength ?? 0);
    }

    private static async Task<(int Status, string? Fault)> ErrorAsync(HttpContext context, int status, string code, string message)
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
        return (status, null);
    }

    /// <summary>
    /// One request's record, added to the log once: when its response starts (the status as sent, the fault as decided
    /// before the first byte) or, for a response that never started, when its handler ends.
    /// </summary>
    private sealed class Entry(RequestLog log, long sequence, RequestRecord record, HttpResponse response)
    {
        private int _added;

        public string? Fault { get; set; }

        public Task Started()
        {
            Add(response.StatusCode, Fault);
            return Task.CompletedTask;
        }

        public void Ended(int status, string? fault) => Add(status, fault);

        private void Add(int status, string? fault)
        {
            if (Interlocked.Exchange(ref _added, 1) == 0)
            {
                log.Add(sequence, record with { Status = status, Fault = fault });
            }
        }
    }
}
