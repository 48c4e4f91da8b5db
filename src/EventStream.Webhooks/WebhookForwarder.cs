using System.Net;
using System.Text;
using EventStream.Api;
using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Webhooks.Internal;

namespace EventStream.Webhooks;

/// <summary>
/// Delivers a feed's events to HTTP endpoints at least once, signed per Standard Webhooks (<c>webhook-id</c> = the event's
/// <c>eventId</c>), per customer in order, retried on a schedule, dead-lettered when they cannot be delivered. The feed's
/// checkpoint advances only past events every matching route has delivered (2xx) or dead-lettered; each route has a
/// bounded queue of its own, so a slow endpoint holds the others only once its queue is full.
/// </summary>
public sealed class WebhookForwarder : IAsyncDisposable
{
    private readonly WebhookForwarderOptions _options;
    private readonly RouteDelivery[] _routes;
    private readonly HttpClient _http;
    private readonly AckLedger _ledger = new();
    private readonly AcknowledgingCheckpointStore? _store;
    private readonly IWebhookDeadLetterStore _deadLetters;
    private readonly bool _ownsDeadLetters;
    private readonly List<RouteDelivery> _matching = [];

    /// <summary>Completed and replaced at each acknowledgement: what a drain waits on.</summary>
    private TaskCompletionSource _acknowledged = NewSignal();

    /// <summary>Replayed dead letters not yet acknowledged.</summary>
    private long _replaying;

    private long _forwarded;
    private int _disposed;

    /// <summary>
    /// A forwarder reading the feed <paramref name="api"/> and <paramref name="feed"/> describe. The feed's
    /// <see cref="FeedOptions.CheckpointStore"/> (in memory when not set) is wrapped so that it receives only checkpoints
    /// whose events every matching route has acknowledged; <paramref name="feed"/> is changed to hold the wrapper.
    /// </summary>
    /// <param name="api">Where the Events API is.</param>
    /// <param name="feed">The feed's options (start, filters, checkpoint store).</param>
    /// <param name="options">The routes and how to deliver.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it (never a secret).</exception>
    public WebhookForwarder(EventsApiOptions api, FeedOptions feed, WebhookForwarderOptions options)
        : this(options, handler: null)
    {
        ArgumentNullException.ThrowIfNull(api);
        ArgumentNullException.ThrowIfNull(feed);
        _store = new AcknowledgingCheckpointStore(feed.CheckpointStore ?? new InMemoryCheckpointStore(), _ledger, options, through => [.. _routes.SelectMany(r => r.Pending(through))]);
        feed.CheckpointStore = _store;
        try
        {
            Feed = new EventFeed(api, feed);
        }
        catch
        {
            _ = DisposeAsync().AsTask();
            throw;
        }
    }

    /// <summary>A forwarder without a feed, for <see cref="ReplayAsync"/>.</summary>
    /// <param name="options">The routes and how to deliver.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it (never a secret).</exception>
    public WebhookForwarder(WebhookForwarderOptions options)
        : this(options, handler: null)
    {
    }

    internal WebhookForwarder(WebhookForwarderOptions options, HttpMessageHandler? handler)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        // One pool of kept-alive connections for every route; redirects are never followed (3xx is a failure); the
        // per-attempt timeout is ours (through TimeProvider), not HttpClient's.
        handler ??= new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            MaxConnectionsPerServer = Math.Max(2, options.Routes.Sum(r => r.Concurrency)),
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
        };
        _http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd($"EventStream-Webhooks/{typeof(WebhookForwarder).Assembly.GetName().Version?.ToString(3) ?? "0"}");
        _ownsDeadLetters = options.DeadLetters is null;
        _deadLetters = options.DeadLetters ?? new NdjsonDeadLetterStore(options.DeadLetterPath);
        _routes = [.. options.Routes.Select(r => new RouteDelivery(r, options, _http, _deadLetters, OnAcknowledged))];
    }

    internal IReadOnlyList<RouteDelivery> RouteDeliveries => _routes;

    internal AckLedger Ledger => _ledger;

    /// <summary>Writes the newest checkpoint whose events are all acknowledged now (tests).</summary>
    internal Task FlushCheckpointAsync() => _store?.FlushAsync() ?? Task.CompletedTask;

    /// <summary>The feed read (null for a forwarder made for <see cref="ReplayAsync"/> only).</summary>
    public EventFeed? Feed { get; }

    /// <summary>Each route as of now.</summary>
    public IReadOnlyList<WebhookRouteStatus> Routes => [.. _routes.Select(r => r.Status)];

    /// <summary>The route whose full queue the feed waits for, or <see langword="null"/>.</summary>
    public string? HeldBy => _routes.FirstOrDefault(r => r.HoldsFeed)?.Name;

    /// <summary>Events taken from the feed.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    /// <summary>Events taken and not yet delivered or dead-lettered by every matching route.</summary>
    public int Unacknowledged => _ledger.Unacknowledged;

    /// <summary>Checkpoints written to the user's store (each covering only acknowledged events, or events kept in <see cref="WebhookForwarderOptions.PendingPath"/>).</summary>
    public long CheckpointsWritten => _store?.Written ?? 0;

    /// <summary>Events written to <see cref="WebhookForwarderOptions.PendingPath"/> so that the checkpoint could pass them, counted each time the file was written.</summary>
    public long EventsParked => _store?.Parked ?? 0;

    /// <summary>
    /// Reads the feed and forwards every event until <paramref name="cancellationToken"/> is cancelled or the feed
    /// completes; then stops the feed, lets deliveries in flight finish (at most <see cref="WebhookForwarderOptions.DrainTimeout"/>)
    /// and saves the checkpoint of what was acknowledged. Events not acknowledged by then are delivered again after a restart.
    /// </summary>
    /// <param name="cancellationToken">Stops forwarding (cleanly: this returns, it does not throw).</param>
    /// <returns>A task that completes once stopped; it faults when the feed does (e.g. the API refused the token).</returns>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        EventFeed feed = Feed ?? throw new InvalidOperationException("This forwarder has no feed (it was made for ReplayAsync).");
        try
        {
            await RestorePendingAsync(cancellationToken).ConfigureAwait(false);
            await foreach (IntileryEvent e in feed.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await ForwardAsync(e, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await feed.DisposeAsync().ConfigureAwait(false); // its last checkpoint goes to the ledger
            await DrainAsync().ConfigureAwait(false);
        }
    }

    // The events the last run's routes still held when it saved its checkpoint past them: queued first, each on its route
    // with its attempts so far (one whose route is gone is dead-lettered, so none is lost).
    private async Task RestorePendingAsync(CancellationToken cancellationToken)
    {
        if (_options.PendingPath is not { } path || _store is null)
        {
            return;
        }

        List<WebhookDeadLetter> pending = await new PendingFile(path).ReadAsync(cancellationToken).ConfigureAwait(false);
        if (pending.Count == 0)
        {
            return;
        }

        _store.PendingRestored();
        string fullPath = Path.GetFullPath(path);
        if (_options.Logger is not null)
        {
            WebhookLog.Restored(_options.Logger, pending.Count, fullPath);
        }

        foreach (WebhookDeadLetter letter in pending)
        {
            if (_routes.FirstOrDefault(r => r.Name == letter.Route) is not { } route)
            {
                await _deadLetters.AddAsync(letter with { Reason = "route not configured", DeadLetteredAt = _options.TimeProvider.GetUtcNow() }, cancellationToken).ConfigureAwait(false);
                continue;
            }

            await RequeueAsync(route, letter, resume: true, cancellationToken).ConfigureAwait(false);
        }
    }

    // Queues a dead letter or a pending event again (outside the ledger): replayed with a fresh retry schedule, or resumed
    // with its attempts so far.
    private ValueTask RequeueAsync(RouteDelivery route, WebhookDeadLetter letter, bool resume, CancellationToken cancellationToken)
    {
        IntileryEvent e = IntileryEvent.Parse(Encoding.UTF8.GetBytes(letter.Event.GetRawText()));
        var delivery = new Delivery(e, -1);
        if (resume)
        {
            (delivery.Attempts, delivery.FirstAttempt, delivery.LastStatus, delivery.LastError, delivery.LastBody) = (letter.Attempts, letter.FirstAttempt, letter.Status, letter.Error, letter.BodyExcerpt);
        }

        Interlocked.Increment(ref _replaying);
        return route.EnqueueAsync(delivery, cancellationToken);
    }

    /// <summary>Queues one event on every route it matches (waiting while a <see cref="WhenQueueFull.Wait"/> route is full).</summary>
    internal async ValueTask ForwardAsync(IntileryEvent e, CancellationToken cancellationToken)
    {
        e = e.Detach(); // kept past the feed's page buffer
        _matching.Clear();
        foreach (RouteDelivery route in _routes)
        {
            if (route.Route.Matches(e))
            {
                _matching.Add(route);
            }
        }

        long sequence = _ledger.Begin(e.EventId, _matching.Count);
        Interlocked.Increment(ref _forwarded);
        if (_matching.Count == 0)
        {
            _store?.Wake();
        }

        foreach (RouteDelivery route in _matching)
        {
            await route.EnqueueAsync(new Delivery(e, sequence), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Sends dead letters again, each to the route it names (one that no longer exists is skipped and counted), with a
    /// fresh retry schedule; those that fail again go to the dead letters again. Waits until every one is delivered or
    /// dead-lettered, or <paramref name="cancellationToken"/> is cancelled.
    /// </summary>
    /// <param name="deadLetters">The dead letters, e.g. from <see cref="NdjsonDeadLetterStore.ReadAsync"/>.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>How many were sent again, and how many named a route this forwarder does not have.</returns>
    public async Task<(int Replayed, int UnknownRoute)> ReplayAsync(IAsyncEnumerable<WebhookDeadLetter> deadLetters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetters);
        int replayed = 0, unknown = 0;
        await foreach (WebhookDeadLetter letter in deadLetters.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            RouteDelivery? route = _routes.FirstOrDefault(r => r.Name == letter.Route);
            if (route is null)
            {
                unknown++;
                continue;
            }

            replayed++;
            await RequeueAsync(route, letter, resume: false, cancellationToken).ConfigureAwait(false);
        }

        while (Interlocked.Read(ref _replaying) > 0)
        {
            Task signal = Volatile.Read(ref _acknowledged).Task;
            if (Interlocked.Read(ref _replaying) == 0)
            {
                break;
            }

            await signal.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        return (replayed, unknown);
    }

    private void OnAcknowledged(Delivery delivery)
    {
        if (delivery.Sequence < 0)
        {
            Interlocked.Decrement(ref _replaying);
            _store?.PendingChanged(); // a restored event is done: the pending file is out of date
        }
        else if (_ledger.Acknowledge(delivery.Sequence))
        {
            _store?.Wake();
        }

        Interlocked.Exchange(ref _acknowledged, NewSignal()).TrySetResult();
    }

    // Lets deliveries in flight finish, within the drain timeout, then saves what is acknowledged.
    private async Task DrainAsync()
    {
        if (_options.DrainTimeout > TimeSpan.Zero)
        {
            using var deadline = new CancellationTokenSource(_options.DrainTimeout, _options.TimeProvider);
            try
            {
                while (_ledger.Unacknowledged > 0)
                {
                    Task signal = Volatile.Read(ref _acknowledged).Task;
                    if (_ledger.Unacknowledged == 0)
                    {
                        break;
                    }

                    await signal.WaitAsync(deadline.Token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                // Some are waiting for a retry or a slow endpoint: they are delivered again after a restart.
            }
        }

        if (_store is not null)
        {
            await _store.FlushAsync(stopping: true).ConfigureAwait(false);
        }
    }

    /// <summary>Stops every route (deliveries in flight are abandoned), saves what is acknowledged, and releases the connections.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (Feed is not null)
        {
            await Feed.DisposeAsync().ConfigureAwait(false);
        }

        foreach (RouteDelivery route in _routes ?? [])
        {
            await route.DisposeAsync().ConfigureAwait(false);
        }

        if (_store is not null)
        {
            await _store.FlushAsync().ConfigureAwait(false);
            await _store.DisposeAsync().ConfigureAwait(false);
        }

        if (_ownsDeadLetters && _deadLetters is NdjsonDeadLetterStore file)
        {
            await file.DisposeAsync().ConfigureAwait(false);
        }

        _http?.Dispose();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
