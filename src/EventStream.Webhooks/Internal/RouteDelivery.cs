using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using EventStream.Parsing;
using Microsoft.Extensions.Logging;

namespace EventStream.Webhooks.Internal;

/// <summary>One event on one route, from queueing to acknowledgement.</summary>
internal sealed class Delivery(IntileryEvent e, long sequence)
{
    public IntileryEvent Event { get; } = e;

    /// <summary>The forwarder's take number (acknowledged in the ledger), or -1 for a replayed dead letter.</summary>
    public long Sequence { get; } = sequence;

    public int Attempts { get; set; }

    public DateTimeOffset? FirstAttempt { get; set; }

    public int? LastStatus { get; set; }

    public string? LastError { get; set; }

    public string? LastBody { get; set; }

    /// <summary>Set when given up but the dead letter could not be written yet.</summary>
    public WebhookDeadLetter? PendingDeadLetter { get; set; }

    /// <summary>It failed and waits for a retry: counted in the route's failing episode until delivered or given up.</summary>
    public bool Retrying { get; set; }
}

/// <summary>
/// A route's queue and workers. Events wait per customer (one customer's events go one at a time, in order); customers
/// with something to send wait in <see cref="_ready"/>, and <see cref="WebhookRoute.Concurrency"/> workers take them. A
/// failed attempt does not keep its worker: the customer leaves the ready queue until its retry is due (a timer puts it
/// back), so one failing customer never holds the others. <see cref="_room"/> bounds what the route holds, retries included.
/// </summary>
internal sealed class RouteDelivery : IAsyncDisposable
{
    private const int ExcerptBytes = 1024;
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly WebhookRoute _route;
    private readonly WebhookForwarderOptions _options;
    private readonly HttpClient _http;
    private readonly Signer _signer;
    private readonly IWebhookDeadLetterStore _deadLetters;
    private readonly Action<Delivery> _acknowledged;
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly KeyValuePair<string, object?> _tag;
    private readonly Lock _lock = new();

    /// <summary>Free places in the route (capacity less what it holds).</summary>
    private readonly SemaphoreSlim _room;

    /// <summary>Each customer's events not yet acknowledged, the head being delivered or waiting for its retry.</summary>
    private readonly Dictionary<string, Queue<Delivery>> _customers = new(StringComparer.Ordinal);

    /// <summary>Customers whose head is due now.</summary>
    private readonly Channel<string> _ready = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = false });

    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;

    /// <summary>Events held (queued, in flight, waiting for a retry).</summary>
    private int _queued;

    /// <summary>1 once the endpoint answered 410.</summary>
    private int _disabled;

    /// <summary>1 while the feed waits for room here.</summary>
    private int _holdsFeed;

    /// <summary>1 while new events are dead-lettered because the queue is full (logged once per episode).</summary>
    private int _overflowing;

    /// <summary>The retry episode: when its first failure came (timestamp, 0 when none) and failed attempts since.</summary>
    private long _failingSince;
    private long _episodeFailures;
    private int _retrying; // deliveries that failed and are not yet delivered or given up

    private long _delivered;
    private long _retriesScheduled;
    private TimeSpan _lastRetryDelay;
    private long _deadLettered;
    private long _attempts;
    private int _lastStatus;
    private string? _lastFailure;

    public RouteDelivery(WebhookRoute route, WebhookForwarderOptions options, HttpClient http, IWebhookDeadLetterStore deadLetters, Action<Delivery> acknowledged)
    {
        _route = route;
        _options = options;
        _http = http;
        _signer = new Signer(route.Secrets);
        _deadLetters = deadLetters;
        _acknowledged = acknowledged;
        _time = options.TimeProvider;
        _logger = options.Logger;
        _tag = WebhookTelemetry.Route(route.Name);
        _room = new SemaphoreSlim(route.QueueCapacity, route.QueueCapacity);
        _workers = [.. Enumerable.Range(0, route.Concurrency).Select(_ => Task.Run(() => WorkAsync(_stop.Token)))];
        WebhookTelemetry.Track(this);
    }

    public string Name => _route.Name;

    public WebhookRoute Route => _route;

    public int Queued => Volatile.Read(ref _queued);

    public bool Disabled => Volatile.Read(ref _disabled) == 1;

    public bool HoldsFeed => Volatile.Read(ref _holdsFeed) == 1;

    /// <summary>Retry timers started so far (for tests driving a fake clock: once counted, advancing the clock fires it).</summary>
    internal long RetriesScheduled => Interlocked.Read(ref _retriesScheduled);

    /// <summary>The delay chosen for the last retry (for tests).</summary>
    internal TimeSpan LastRetryDelay => _lastRetryDelay;

    public WebhookRouteStatus Status => new(
        _route.Name, Queued, Interlocked.Read(ref _delivered), Interlocked.Read(ref _deadLettered), Interlocked.Read(ref _attempts),
        Interlocked.Read(ref _failingSince) != 0, Disabled, Volatile.Read(ref _lastStatus) is var s and not 0 ? s : null, HoldsFeed,
        Math.Max(0, Volatile.Read(ref _retrying)), Volatile.Read(ref _lastFailure));

    /// <summary>Queues an event, waiting for room when full (<see cref="WhenQueueFull.Wait"/>).</summary>
    public async ValueTask EnqueueAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        if (Disabled)
        {
            await GiveUpAsync(delivery, "route disabled", CancellationToken.None).ConfigureAwait(false);
            return;
        }

        if (!_room.Wait(0, CancellationToken.None))
        {
            if (_route.WhenFull == WhenQueueFull.DeadLetter)
            {
                if (Interlocked.Exchange(ref _overflowing, 1) == 0 && _logger is not null)
                {
                    WebhookLog.QueueFullDeadLettering(_logger, _route.Name, _route.QueueCapacity);
                }

                await GiveUpAsync(delivery, "queue full", CancellationToken.None).ConfigureAwait(false);
                return;
            }

            Volatile.Write(ref _holdsFeed, 1);
            try
            {
                await _room.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _holdsFeed, 0);
            }
        }

        Volatile.Write(ref _overflowing, 0);
        string customer = CustomerKey(delivery.Event);
        lock (_lock)
        {
            _queued++;
            if (_customers.TryGetValue(customer, out Queue<Delivery>? waiting))
            {
                waiting.Enqueue(delivery); // behind this customer's earlier events
                return;
            }

            var queue = new Queue<Delivery>();
            queue.Enqueue(delivery);
            _customers[customer] = queue;
        }

        _ready.Writer.TryWrite(customer);
    }

    /// <summary>
    /// The events this route holds that were taken up to <paramref name="through"/> (or restored from the pending file),
    /// in each customer's order, as records to write to the pending file.
    /// </summary>
    public List<WebhookDeadLetter> Pending(long through)
    {
        var pending = new List<WebhookDeadLetter>();
        DateTimeOffset now = _time.GetUtcNow();
        lock (_lock)
        {
            foreach (Queue<Delivery> queue in _customers.Values)
            {
                foreach (Delivery d in queue)
                {
                    if (d.Sequence <= through)
                    {
                        using JsonDocument json = JsonDocument.Parse(d.Event.Json);
                        pending.Add(new WebhookDeadLetter(_route.Name, d.Event.EventId, json.RootElement.Clone(), "pending", d.LastStatus, d.LastError, d.LastBody, d.Attempts, d.FirstAttempt, now));
                    }
                }
            }
        }

        return pending;
    }

    /// <summary>The key events are ordered by: the customer, as the envelope names them (the event itself when it names none).</summary>
    internal static string CustomerKey(IntileryEvent e)
        => e.CustomerId ?? e.Id ?? e.Email ?? e.UserId ?? e.ExternalId ?? "\0" + e.EventId;

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _ready.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (!_ready.Reader.TryRead(out string? customer))
                {
                    continue;
                }

                Delivery head;
                lock (_lock)
                {
                    head = _customers[customer].Peek();
                }

                TimeSpan? retryIn = await HandleAsync(head, cancellationToken).ConfigureAwait(false);
                if (retryIn is { } delay)
                {
                    _ = RetryLaterAsync(customer, delay, cancellationToken);
                }
                else
                {
                    Done(customer);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped: what is not acknowledged is delivered again after a restart.
        }
    }

    private async Task RetryLaterAsync(string customer, TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            Task due = Task.Delay(delay, _time, cancellationToken);
            Interlocked.Increment(ref _retriesScheduled); // the timer is registered: a test's fake clock may now pass it
            await due.ConfigureAwait(false);
            _ready.Writer.TryWrite(customer);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Done(string customer)
    {
        bool more;
        lock (_lock)
        {
            Queue<Delivery> queue = _customers[customer];
            queue.Dequeue();
            _queued--;
            more = queue.Count > 0;
            if (!more)
            {
                _customers.Remove(customer);
            }
        }

        _room.Release();
        if (more)
        {
            _ready.Writer.TryWrite(customer); // behind the customers already waiting: fair
        }
    }

    /// <summary>Delivers (or gives up on) the customer's head; null when it is acknowledged, else the delay before its retry.</summary>
    private async Task<TimeSpan?> HandleAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        if (delivery.PendingDeadLetter is { } pending)
        {
            return await WriteDeadLetterAsync(delivery, pending).ConfigureAwait(false) ? null : TimeSpan.FromSeconds(5);
        }

        if (Disabled)
        {
            return await GiveUpAsync(delivery, "route disabled", cancellationToken).ConfigureAwait(false);
        }

        Outcome outcome = await AttemptAsync(delivery, cancellationToken).ConfigureAwait(false);
        if (outcome.Kind != OutcomeKind.Delivered)
        {
            Volatile.Write(ref _lastFailure, Describe(delivery));
        }

        switch (outcome.Kind)
        {
            case OutcomeKind.Delivered:
                Interlocked.Increment(ref _delivered);
                WebhookTelemetry.Delivered.Add(1, _tag);
                if (delivery.Sequence >= 0)
                {
                    TimeSpan latency = _time.GetUtcNow() - (delivery.Event.ReceivedTime ?? delivery.Event.EventTime);
                    WebhookTelemetry.AckLatency.Record(Math.Max(0, latency.TotalSeconds), _tag);
                }

                Settled(delivery, answered: true);
                _acknowledged(delivery);
                return null;

            case OutcomeKind.Gone:
                if (Interlocked.Exchange(ref _disabled, 1) == 0 && _logger is not null)
                {
                    WebhookLog.Disabled(_logger, _route.Name, WebhookRoute.DisplayEndpoint(_route.Endpoint));
                }

                return await GiveUpAsync(delivery, "gone", cancellationToken).ConfigureAwait(false);

            case OutcomeKind.Rejected:
                Settled(delivery, answered: true); // the endpoint answers; this event is what it refuses
                return await GiveUpAsync(delivery, "rejected", cancellationToken).ConfigureAwait(false);

            default:
                TimeSpan? delay = RetrySchedule.Next(_options.RetrySchedule, delivery.Attempts, _options.Jitter, outcome.RetryAfter, Random.Shared.NextDouble());
                Interlocked.Increment(ref _episodeFailures);
                bool first = Interlocked.CompareExchange(ref _failingSince, _time.GetTimestamp(), 0) == 0;
                if (!delivery.Retrying)
                {
                    delivery.Retrying = true;
                    Interlocked.Increment(ref _retrying);
                }

                if (delay is null)
                {
                    return await GiveUpAsync(delivery, "retries exhausted", cancellationToken).ConfigureAwait(false);
                }

                _lastRetryDelay = delay.Value;
                if (first && _logger is not null)
                {
                    WebhookLog.Failing(_logger, _route.Name, Describe(delivery), delivery.Event.EventId, delay.Value.TotalSeconds, delivery.Attempts + 1, _options.RetrySchedule.Count);
                }

                return delay;
        }
    }

    // A delivery is done with (delivered, refused or given up). The failing episode ends when the endpoint answers and
    // no event that failed is still waiting for its retry: an endpoint failing one request in five keeps one episode
    // (one line when it starts, one when every failed event has gone through), not two lines for each failure.
    private void Settled(Delivery delivery, bool answered)
    {
        if (delivery.Retrying)
        {
            delivery.Retrying = false;
            Interlocked.Decrement(ref _retrying);
        }

        if (answered && Volatile.Read(ref _retrying) == 0)
        {
            EndEpisode();
        }
    }

    private void EndEpisode()
    {
        long since = Interlocked.Exchange(ref _failingSince, 0);
        long failures = Interlocked.Exchange(ref _episodeFailures, 0);
        if (since != 0 && _logger is not null && _logger.IsEnabled(LogLevel.Information))
        {
            double seconds = _time.GetElapsedTime(since).TotalSeconds;
            WebhookLog.Recovered(_logger, _route.Name, failures, seconds);
        }
    }

    /// <summary>Dead-letters an event (acknowledging it once written); null when done, else the delay before writing again.</summary>
    private async Task<TimeSpan?> GiveUpAsync(Delivery delivery, string reason, CancellationToken cancellationToken)
    {
        Settled(delivery, answered: false);
        using JsonDocument json = JsonDocument.Parse(delivery.Event.Json);
        var letter = new WebhookDeadLetter(
            _route.Name, delivery.Event.EventId, json.RootElement.Clone(), reason, delivery.LastStatus, delivery.LastError, delivery.LastBody,
            delivery.Attempts, delivery.FirstAttempt, _time.GetUtcNow());
        if (_logger is not null && reason is not ("queue full" or "route disabled"))
        {
            WebhookLog.DeadLettered(_logger, _route.Name, delivery.Event.EventId, reason, Describe(delivery), delivery.Attempts);
        }

        if (await WriteDeadLetterAsync(delivery, letter).ConfigureAwait(false))
        {
            return null;
        }

        delivery.PendingDeadLetter = letter;
        return TimeSpan.FromSeconds(5);
    }

    private async Task<bool> WriteDeadLetterAsync(Delivery delivery, WebhookDeadLetter letter)
    {
        try
        {
            await _deadLetters.AddAsync(letter, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (_logger is not null)
            {
                WebhookLog.DeadLetterFailed(_logger, _route.Name, ex.Message);
            }

            return false;
        }

        delivery.PendingDeadLetter = null;
        Interlocked.Increment(ref _deadLettered);
        WebhookTelemetry.DeadLettered.Add(1, _tag, new("eventstream.reason", letter.Reason));
        _acknowledged(delivery);
        return true;
    }

    private static string Describe(Delivery d)
        => d.LastStatus is { } status ? $"HTTP {status}" : d.LastError ?? "no attempt";

    private async Task<Outcome> AttemptAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        DateTimeOffset now = _time.GetUtcNow();
        delivery.FirstAttempt ??= now;
        delivery.Attempts++;
        Interlocked.Increment(ref _attempts);
        IntileryEvent e = delivery.Event;
        ReadOnlyMemory<byte> body = _route.Payload == WebhookPayload.Envelope ? Envelope(e) : e.Json;
        using var request = new HttpRequestMessage(HttpMethod.Post, _route.Endpoint) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = Json;
        request.Headers.TryAddWithoutValidation("webhook-id", e.EventId);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (_signer.Sign(e.EventId, now, body) is { } signature)
        {
            request.Headers.TryAddWithoutValidation("webhook-signature", signature);
        }

        foreach ((string name, string value) in _route.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(name, value))
            {
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var timeout = new CancellationTokenSource(_options.AttemptTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            using HttpResponseMessage response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            int status = (int)response.StatusCode;
            Volatile.Write(ref _lastStatus, status);
            delivery.LastStatus = status;
            delivery.LastError = null;
            WebhookTelemetry.Attempts.Add(1, _tag, new("http.response.status_code", status));
            if (status is >= 200 and < 300)
            {
                return new Outcome(OutcomeKind.Delivered, null);
            }

            delivery.LastBody = await ExcerptAsync(response, linked.Token).ConfigureAwait(false);
            OutcomeKind kind = status switch
            {
                (int)HttpStatusCode.Gone => OutcomeKind.Gone,
                (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500 => OutcomeKind.Retry,
                >= 400 => OutcomeKind.Rejected,
                _ => OutcomeKind.Retry, // 1xx, 3xx: a failure (redirects are not followed), retried on the schedule
            };
            return new Outcome(kind, RetryAfter(response, now));
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Failed(delivery, "timeout", $"no response within {_options.AttemptTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            return Failed(delivery, ex.HttpRequestError.ToString(), $"connection failed: {ex.Message}");
        }
        catch (IOException ex)
        {
            return Failed(delivery, "io", $"connection failed: {ex.Message}");
        }
    }

    private Outcome Failed(Delivery delivery, string errorType, string error)
    {
        delivery.LastStatus = null;
        delivery.LastError = error;
        delivery.LastBody = null;
        Volatile.Write(ref _lastStatus, 0);
        WebhookTelemetry.Attempts.Add(1, _tag, new("error.type", errorType));
        return new Outcome(OutcomeKind.Retry, null);
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response, DateTimeOffset now)
    {
        RetryConditionHeaderValue? header = response.Headers.RetryAfter;
        TimeSpan? after = header?.Delta ?? (header?.Date is { } date ? date - now : null);
        return after is { } a ? TimeSpan.FromTicks(Math.Clamp(a.Ticks, 0, TimeSpan.TicksPerDay)) : null;
    }

    private static async Task<string?> ExcerptAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            Stream stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                byte[] buffer = new byte[ExcerptBytes];
                int read = 0;
                while (read < buffer.Length && await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false) is var n and > 0)
                {
                    read += n;
                }

                return read == 0 ? null : Encoding.UTF8.GetString(buffer, 0, read);
            }
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException or OperationCanceledException)
        {
            return null; // the status is what counts
        }
    }

    /// <summary>The Standard Webhooks envelope around the event's JSON, which goes in unchanged.</summary>
    private static byte[] Envelope(IntileryEvent e)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(e.Json.Length + 96);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, e.EventAction);
            writer.WriteString("timestamp"u8, e.EventTime);
            writer.WritePropertyName("data"u8);
            writer.WriteRawValue(e.Json.Span, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Stops the workers and retry timers: what is not acknowledged stays unacknowledged.</summary>
    public async ValueTask DisposeAsync()
    {
        WebhookTelemetry.Forget(this);
        await _stop.CancelAsync().ConfigureAwait(false);
        _ready.Writer.TryComplete();
        await Task.WhenAll(_workers).ConfigureAwait(false);
        _stop.Dispose();
        _room.Dispose();
    }

    private enum OutcomeKind
    {
        Delivered,
        Retry,
        Rejected,
        Gone,
    }

    private readonly record struct Outcome(OutcomeKind Kind, TimeSpan? RetryAfter);
}
