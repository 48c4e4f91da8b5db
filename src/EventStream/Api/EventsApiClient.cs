using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EventStream.Api.Internal;
using EventStream.Diagnostics.Internal;
using EventStream.Internal;
using EventStream.Parsing;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;

namespace EventStream.Api;

/// <summary>
/// Reads pages from the Intilery Events API: paces requests with a token bucket shared per auth token,
/// retries transient failures with exponential backoff and jitter (honouring <c>Retry-After</c>), reads bodies
/// into pooled buffers and parses them with <see cref="EventPageReader"/> (a page's events copy their JSON into one or two shared arrays).
/// </summary>
public sealed class EventsApiClient : IPageSource, IDisposable, IAsyncDisposable
{
    private const string RequestIdHeader = "x-amzn-RequestId";
    private static readonly MediaTypeHeaderValue s_json = new("application/json");

    private readonly EventsApiOptions _options;
    private readonly HttpClient _http;
    private readonly SharedRateLimiter _limiter;
    private readonly ResiliencePipeline _pipeline;
    private readonly string _eventsUrl;
    private readonly ILogger? _logger;
    private long _requests;
    private long _retries;
    private long _rateLimited;
    private int _disposed;

    /// <summary>Creates a client.</summary>
    /// <param name="options">Where the API is and how to call it; validated now and copied.</param>
    /// <param name="handler">The HTTP handler to use, e.g. for a proxy; by default a handler that never follows redirects.</param>
    /// <param name="disposeHandler">Whether disposing the client disposes <paramref name="handler"/>.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    public EventsApiClient(EventsApiOptions options, HttpMessageHandler? handler = null, bool disposeHandler = true)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options.Clone();
        _logger = _options.Logger;
        _eventsUrl = BuildEventsUrl(_options);
        _http = new HttpClient(handler ?? DefaultHandler(_options.ConnectTimeout), handler is null || disposeHandler)
        {
            Timeout = Timeout.InfiniteTimeSpan, // each attempt has its own timeout on the options' clock
        };
        _limiter = SharedRateLimiter.Rent(_options.AuthToken, _options.RequestsPerSecond, _options.Burst, _options.TimeProvider);
        _pipeline = BuildPipeline();
    }

    /// <summary>The handler a client makes for itself (and a feed group shares): never follows redirects, decompresses.</summary>
    internal static SocketsHttpHandler DefaultHandler(TimeSpan connectTimeout) => new()
    {
        AllowAutoRedirect = false, // a redirect would carry the token to wherever it points
        AutomaticDecompression = DecompressionMethods.All,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = connectTimeout,
    };

    /// <summary>The options the client was created with (without the token in its <see cref="object.ToString"/>).</summary>
    public EventsApiOptions Options => _options.Clone();

    /// <summary>How many HTTP requests the client has sent, retries included.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>How many times a request was retried.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>How many <c>429 Too Many Requests</c> responses the client received.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Reads one page.</summary>
    /// <param name="query">The query; validated before anything is sent.</param>
    /// <param name="cancellationToken">Cancels the request, its retries and any wait for the rate limiter.</param>
    /// <returns>The page's events, <c>total</c> when sent, and the request id.</returns>
    /// <exception cref="ArgumentException">The query is invalid; the message names the parameter.</exception>
    /// <exception cref="EventsApiException">A permanent error, or a transient one that outlasted the retries.</exception>
    /// <exception cref="EventPageFormatException">Every attempt returned a body that cannot be read (it carries the request id and byte offset).</exception>
    public Task<EventPage> GetPageAsync(EventsQuery query, CancellationToken cancellationToken = default)
        => ((IPageSource)this).FetchAsync(query, static (ReadOnlySpan<byte> body, in ResponseInfo info, object? _) => EventPage.Parse(body, requestId: info.RequestId), (object?)null, null, cancellationToken);

    /// <inheritdoc cref="IPageSource.FetchAsync"/>
    async Task<TResult> IPageSource.FetchAsync<TState, TResult>(
        EventsQuery query,
        PageParser<TState, TResult> parse,
        TState state,
        Action<EventsApiException, TimeSpan>? onRetry,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        var uri = new Uri(_eventsUrl + "?" + query.ToQueryString());
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        if (onRetry is not null)
        {
            context.Properties.Set(s_onRetryKey, onRetry);
        }

        try
        {
            return await _pipeline.ExecuteAsync(
                static (ctx, s) => new ValueTask<TResult>(s.Client.AttemptAsync(s.Uri, s.Parse, s.State, ctx.CancellationToken)),
                context,
                (Client: this, Uri: uri, Parse: parse, State: state)).ConfigureAwait(false);
        }
        catch (EventsApiException ex)
        {
            if (_logger is not null)
            {
                Log.Failed(_logger, ex.StatusCode, ex.ErrorCode, ex.RequestId, ex.ApiMessage);
            }

            if (ex.InnerException is EventPageFormatException unreadable)
            {
                // Every attempt got a body that cannot be read: retrying the same bytes again would stall silently.
                throw unreadable;
            }

            throw;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private static readonly ResiliencePropertyKey<Action<EventsApiException, TimeSpan>> s_onRetryKey = new("EventStream.OnRetry");

    private async Task<TResult> AttemptAsync<TState, TResult>(Uri uri, PageParser<TState, TResult> parse, TState state, CancellationToken cancellationToken)
    {
        await _limiter.AcquireAsync(cancellationToken).ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(_options.RequestTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.TryAddWithoutValidation("auth-token", _options.AuthToken);
        // The API requires content-type on a GET. .NET only allows it as a content header, so send an empty body that has it.
        request.Content = new ByteArrayContent([]) { Headers = { ContentType = s_json } };
        Interlocked.Increment(ref _requests);
        long sent = _options.TimeProvider.GetTimestamp();
        string? requestId = null;
        int? status = null;
        string? errorType = null;
        using Activity? activity = Telemetry.Source.StartActivity("GET events", ActivityKind.Client);
        activity?.SetTag("http.request.method", "GET");
        activity?.SetTag("server.address", uri.Host);
        activity?.SetTag("eventstream.brand", _options.BrandId);
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            _limiter.OnResponse();
            status = (int)response.StatusCode;
            requestId = response.Headers.TryGetValues(RequestIdHeader, out IEnumerable<string>? ids) ? ids.FirstOrDefault() : null;
            if (!response.IsSuccessStatusCode)
            {
                throw await ErrorAsync(response, requestId, linked.Token).ConfigureAwait(false);
            }

            if (response.Content.Headers.ContentLength > _options.MaxResponseBytes)
            {
                throw TooLarge(response.StatusCode, requestId);
            }

            Stream stream = await response.Content.ReadAsStreamAsync(linked.Token).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using PooledBody body = await PooledBody.ReadAsync(stream, response.Content.Headers.ContentLength, _options.MaxResponseBytes, linked.Token).ConfigureAwait(false);
                var info = new ResponseInfo(requestId, response.Headers.Date, sent);
                return parse(body.Span, info, state);
            }
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            errorType = "timeout";
            throw new EventsApiException(null, "timeout", $"no complete response within {_options.RequestTimeout}", requestId, ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException)
        {
            errorType = "connection_error";
            throw new EventsApiException(null, "connection_error", Redact(ex.Message), requestId, ex);
        }
        catch (EventPageFormatException ex)
        {
            errorType = "malformed_body";
            throw new EventsApiException(HttpStatusCode.OK, "malformed_body", ex.Message, requestId, ex.WithRequestId(requestId)) { IsTransient = true };
        }
        catch (ResponseTooLargeException)
        {
            errorType = "response_too_large";
            throw TooLarge(HttpStatusCode.OK, requestId);
        }
        finally
        {
            Record(activity, sent, status, errorType, requestId);
        }
    }

    // One request's metrics and span: duration, status code (or error type when no response came), request id.
    private void Record(Activity? activity, long sent, int? status, string? errorType, string? requestId)
    {
        if (status is null && errorType is null)
        {
            return; // cancelled by the caller: no outcome to count
        }

        var brand = Telemetry.Brand(_options.BrandId);
        Telemetry.RequestDuration.Record(_options.TimeProvider.GetElapsedTime(sent).TotalSeconds, brand);
        Telemetry.Requests.Add(1, brand, status is { } s ? new("http.response.status_code", s) : new("error.type", errorType ?? "cancelled"));
        if (activity is not null)
        {
            activity.SetTag("http.response.status_code", status);
            activity.SetTag("eventstream.request_id", requestId);
            if (errorType is not null || status is >= 400)
            {
                activity.SetStatus(ActivityStatusCode.Error, errorType ?? status?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }
    }

    private EventsApiException TooLarge(HttpStatusCode status, string? requestId)
        => new(status, "response_too_large", $"the response is larger than MaxResponseBytes ({_options.MaxResponseBytes} bytes)", requestId) { IsTransient = false };

    private async Task<EventsApiException> ErrorAsync(HttpResponseMessage response, string? requestId, CancellationToken cancellationToken)
    {
        HttpStatusCode status = response.StatusCode;
        if (status == HttpStatusCode.TooManyRequests)
        {
            Interlocked.Increment(ref _rateLimited);
            Telemetry.RateLimited.Add(1, Telemetry.Brand(_options.BrandId));
            _limiter.OnRateLimited();
        }

        if ((int)status is >= 300 and < 400)
        {
            string where = response.Headers.Location is { } location ? $" to {(location.IsAbsoluteUri ? location.GetLeftPart(UriPartial.Authority) : "a relative location")}" : "";
            return new EventsApiException(status, "redirect", $"redirect{where} not followed, so the auth token is never sent elsewhere; check BaseUrl", requestId) { IsTransient = false };
        }

        string? code = null, message = null;
        try
        {
            byte[] body = await ReadSmallAsync(response.Content, cancellationToken).ConfigureAwait(false);
            (code, message) = ReadError(body);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The status alone is enough to decide; a broken error body changes nothing.
        }

        return new EventsApiException(status, code, Redact(message), requestId) { RetryAfter = RetryAfter(response) };
    }

    private static async Task<byte[]> ReadSmallAsync(HttpContent content, CancellationToken cancellationToken)
    {
        const int Limit = 64 * 1024;
        Stream stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var copy = new MemoryStream();
            byte[] chunk = new byte[4096];
            int read;
            while (copy.Length < Limit && (read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                copy.Write(chunk, 0, read);
            }

            return copy.ToArray();
        }
    }

    // {"error":{"code":"…","message":"…"}}; anything else (an HTML gateway page, say) yields no code and a short excerpt.
    private static (string? Code, string? Message) ReadError(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error", out JsonElement error)
                && error.ValueKind == JsonValueKind.Object)
            {
                return (StringMember(error, "code"), StringMember(error, "message"));
            }
        }
        catch (JsonException)
        {
        }

        string text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 200)).Trim();
        return (null, text.Length == 0 ? null : text);
    }

    private static string? StringMember(JsonElement element, string name)
        => element.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? Parsing.Internal.JsonText.GetString(value) : null;

    private TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        RetryConditionHeaderValue? retryAfter = response.Headers.RetryAfter;
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        if (retryAfter?.Date is { } date)
        {
            TimeSpan wait = date - _options.TimeProvider.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    // A server that echoes the token must not make us show it. Very short "tokens" would match ordinary words, and are no secret.
    private string? Redact(string? text)
        => text is null || _options.AuthToken.Length < 8 ? text : text.Replace(_options.AuthToken, "***", StringComparison.Ordinal);

    private ResiliencePipeline BuildPipeline()
    {
        var builder = new ResiliencePipelineBuilder { TimeProvider = _options.TimeProvider };
        if (_options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Exception is EventsApiException { IsTransient: true }),
                MaxRetryAttempts = _options.MaxRetries,
                Delay = _options.RetryBaseDelay,
                MaxDelay = _options.MaxRetryDelay,
                // The library's one backoff (exponential from RetryBaseDelay, capped, jittered). Retry-After is a floor:
                // add a little (20 ms plus up to 10% jitter) so that timer granularity and many clients waking at once
                // do not land a hair early and earn another 429.
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                    args.Outcome.Exception is EventsApiException { RetryAfter: { } after }
                        ? after + TimeSpan.FromMilliseconds(20) + (after * 0.1 * Random.Shared.NextDouble())
                        : Backoff.Delay(args.AttemptNumber + 1, _options.RetryBaseDelay, _options.MaxRetryDelay, jitter: true)),
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _retries);
                    Telemetry.Retries.Add(1, Telemetry.Brand(_options.BrandId));
                    var error = (EventsApiException)args.Outcome.Exception!;
                    if (args.Context.Properties.TryGetValue(s_onRetryKey, out Action<EventsApiException, TimeSpan>? onRetry))
                    {
                        onRetry(error, args.RetryDelay); // a feed: it says the retry itself (once per episode, with the next attempt's time)
                    }
                    else if (_logger is not null)
                    {
                        Log.Retrying(_logger, args.AttemptNumber + 1, error.StatusCode, error.ErrorCode, error.RequestId, args.RetryDelay);
                    }

                    return default;
                },
            });
        }

        return builder.Build();
    }

    private static string BuildEventsUrl(EventsApiOptions options)
    {
        string baseUrl = options.BaseUrl.AbsoluteUri;
        if (!baseUrl.EndsWith('/'))
        {
            baseUrl += "/";
        }

        return $"{baseUrl}{Uri.EscapeDataString(options.ClientId)}/{Uri.EscapeDataString(options.AccountId)}/{Uri.EscapeDataString(options.BrandId)}/v1/events";
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _http.Dispose();
            _limiter.Dispose();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
