using System.Globalization;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using EventStream.Feed;
using EventStream.Parsing;

namespace EventStream.AspNetCore.ServerSentEvents.Internal;

/// <summary>
/// One feed fanned out to server-sent-event connections. Events are numbered (<c>{epoch}-{n}-{eventId}</c>, the epoch new
/// for each hub) and the last <see cref="EventStreamOptions.ReplayCapacity"/> kept for resumption: within one server,
/// exactly once. Across a server restart the feed resumes from its checkpoint, and an id from the earlier server is
/// resolved by its eventId: the event this feed resumed after (a graceful stop — clients were sent everything the feed
/// delivered before it saved) → everything from here, exactly once; an event this feed delivered again (a crash: what
/// followed the last save comes again) → everything from here, at least once (the eventIds tell the repeats);
/// otherwise a <c>reset</c>. Each connection has its own bounded buffer: a connection that falls behind is told
/// (<c>lagged</c>) and closed; neither the feed nor other connections ever wait for it.
/// </summary>
internal sealed class EventStreamHub : IObserver<IntileryEvent>, IDisposable
{
    private readonly Lock _lock = new();
    private readonly EventStreamOptions _options;
    private readonly TimeProvider _time;
    private readonly (long Sequence, IntileryEvent Event)[] _replay;
    private readonly List<Connection> _connections = [];
    private readonly string _epoch = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64()))[..8];
    private readonly IDisposable _events;
    private readonly IDisposable _statuses;
    private readonly EventFeed _feed;
    private ITimer? _grace;
    private bool _completed;
    private long _next = 1;

    public EventStreamHub(EventFeed feed, EventStreamOptions options, TimeProvider time)
    {
        _feed = feed;
        _options = options;
        _time = time;
        _replay = new (long, IntileryEvent)[options.ReplayCapacity];
        _statuses = feed.Status.Subscribe(OnStatus);
        _events = feed.Subscribe(this);
    }

    public void OnNext(IntileryEvent value)
    {
        lock (_lock)
        {
            long sequence = _next++;
            _replay[sequence % _replay.Length] = (sequence, value);
            SseItem<string> item = _connections.Count > 0 ? EventItem(sequence, value) : default;
            SseItem<string>? violations = _connections.Count > 0 ? ViolationsItem(value) : null;
            for (int i = _connections.Count - 1; i >= 0; i--)
            {
                if (!_connections[i].Offer(item, value) || (violations is { } v && !_connections[i].Offer(v, value)))
                {
                    _connections.RemoveAt(i); // lagged: closed, told why
                }
            }
        }
    }

    // The feed stopped or faulted (its status stream has said so): each connection gets what it has waiting, then ends.
    public void OnError(Exception error) => Complete();

    public void OnCompleted() => Complete();

    /// <summary>Ends every connection once its buffer is sent; new connections get their replay and end.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
            foreach (Connection connection in _connections)
            {
                connection.Items.Writer.TryComplete();
            }

            _connections.Clear();
        }
    }

    /// <summary>
    /// The app is stopping: a feed the host owns stops first (checkpoint saved), and its end completes the connections,
    /// so clients hold everything the checkpoint counts as delivered; a feed nobody stops is not waited for past <paramref name="grace"/>.
    /// </summary>
    public void CompleteAfter(TimeSpan grace) => _grace ??= _time.CreateTimer(_ => Complete(), null, grace, Timeout.InfiniteTimeSpan);

    /// <summary>
    /// A new connection. With <paramref name="lastEventId"/> still in the replay buffer: everything after it. With an
    /// unknown or expired one: a <c>reset</c> event, then as a new connection. A new connection starts with the most recent
    /// events (up to half its buffer), so a page shows something at once.
    /// </summary>
    public Connection Connect(EventFilter filter, string? lastEventId)
    {
        var connection = new Connection(filter, _options.ClientBufferCapacity);
        lock (_lock)
        {
            long oldest = Math.Max(1, _next - _replay.Length);
            long from;
            (string? epoch, long after, string? eventId) = lastEventId is null ? default : ParseId(lastEventId);
            if (epoch == _epoch && after >= oldest - 1 && after < _next)
            {
                from = after + 1;
            }
            else if (epoch is not null && epoch != _epoch && eventId is not null
                && ((oldest == 1 && eventId == _feed.ResumedAfter) || Contains(oldest, eventId)))
            {
                from = oldest; // an earlier server's id: this feed resumed right after it, or delivered it again
            }
            else
            {
                if (lastEventId is not null)
                {
                    // Too old, or from an earlier server: start over, and say so.
                    connection.Offer(new SseItem<string>(JsonSerializer.Serialize(new ResetPayload("unknown or expired Last-Event-ID", lastEventId), HubJson.Default.ResetPayload), "reset"), null);
                }

                from = Math.Max(oldest, _next - Math.Max(1, _options.ClientBufferCapacity / 2));
            }

            for (long s = from; s < _next; s++)
            {
                (long sequence, IntileryEvent e) = _replay[s % _replay.Length];
                if (!connection.Offer(EventItem(sequence, e), e) || (ViolationsItem(e) is { } violations && !connection.Offer(violations, e)))
                {
                    return connection; // the gap is larger than the client's buffer: lagged at once (it can resume)
                }
            }

            if (_completed)
            {
                connection.Items.Writer.TryComplete();
            }
            else
            {
                _connections.Add(connection);
            }
        }

        return connection;
    }

    public void Disconnect(Connection connection)
    {
        lock (_lock)
        {
            _connections.Remove(connection);
        }
    }

    /// <summary>The connection's items, with a <c>heartbeat</c> whenever it has been idle for the interval.</summary>
    public async IAsyncEnumerable<SseItem<string>> ReadAsync(Connection connection, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            ChannelReader<SseItem<string>> reader = connection.Items.Reader;
            while (true)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                Task<bool> ready = reader.WaitToReadAsync(idle.Token).AsTask();
                Task heartbeat = Task.Delay(_options.HeartbeatInterval, _time, idle.Token);
                Task first = await Task.WhenAny(ready, heartbeat).ConfigureAwait(false);
                await idle.CancelAsync().ConfigureAwait(false);
                cancellationToken.ThrowIfCancellationRequested();
                if (first == heartbeat)
                {
                    yield return new SseItem<string>("{}", "heartbeat");
                    continue;
                }

                if (!await ready.ConfigureAwait(false))
                {
                    break;
                }

                while (reader.TryRead(out SseItem<string> item))
                {
                    yield return item;
                }
            }

            if (connection.Lagged)
            {
                yield return new SseItem<string>(JsonSerializer.Serialize(new LaggedPayload("this connection fell behind; reconnect with Last-Event-ID to resume", _options.ClientBufferCapacity), HubJson.Default.LaggedPayload), "lagged");
            }
        }
        finally
        {
            Disconnect(connection);
        }
    }

    public void Dispose()
    {
        _events.Dispose();
        _statuses.Dispose();
        _grace?.Dispose();
        Complete();
    }

    private void OnStatus(FeedStatus status)
    {
        string json = JsonSerializer.Serialize(
            new StatusPayload(
                State: status.State.ToString(),
                BehindSeconds: status.Behind?.TotalSeconds,
                Remaining: status.Remaining,
                NextAttempt: status.NextAttempt,
                Error: status.Error?.Message,
                Events: status.Counters.Events,
                Buffered: status.Counters.Buffered,
                StalledOn: status.Stall?.Consumer,
                StalledSince: status.Stall?.Since,
                LateEvents: status.Counters.LateEvents,
                DuplicatesDropped: status.Counters.DuplicatesDropped,
                Requests: status.Counters.Requests,
                RequestsPerSecond: Math.Round(status.Counters.RequestsPerSecond, 2),
                RateLimited: status.Counters.RateLimited),
            HubJson.Default.StatusPayload);
        lock (_lock)
        {
            for (int i = _connections.Count - 1; i >= 0; i--)
            {
                if (_connections[i].Filter.Status && !_connections[i].Offer(new SseItem<string>(json, "status"), null))
                {
                    _connections.RemoveAt(i);
                }
            }
        }
    }

    // A typed event (the feed has a catalog) that breaks its plan: what is wrong, right after the event itself.
    private static SseItem<string>? ViolationsItem(IntileryEvent e)
        => e is Typed.PlannedEvent { Violations.Count: > 0 } planned
            ? new SseItem<string>(JsonSerializer.Serialize(
                new ViolationsPayload(planned.EventId, [.. planned.Violations.Select(v => new ViolationPayload(v.Path, v.Kind.ToString(), v.Expected, v.Actual, v.Message))]),
                HubJson.Default.ViolationsPayload), "violations")
            : null;

    // The id: epoch, sequence and — when it fits in an SSE id line — the eventId, so another server can find the event.
    private SseItem<string> EventItem(long sequence, IntileryEvent e)
    {
        string id = $"{_epoch}-{sequence.ToString(CultureInfo.InvariantCulture)}";
        if (e.EventId.Length <= MaxEventIdInId && e.EventId.AsSpan().IndexOfAny('\r', '\n', '\0') < 0)
        {
            id = $"{id}-{e.EventId}";
        }

        return new(Encoding.UTF8.GetString(e.Json.Span), e.IsLate ? "late" : null) { EventId = id };
    }

    private const int MaxEventIdInId = 200;

    /// <summary>An id's parts (<c>{epoch}-{sequence}[-{eventId}]</c>, the epoch 8 hex digits), or all null when it is none of ours.</summary>
    internal static (string? Epoch, long Sequence, string? EventId) ParseId(string id)
    {
        if (id.Length < 10 || id[8] != '-')
        {
            return default;
        }

        ReadOnlySpan<char> rest = id.AsSpan(9);
        int dash = rest.IndexOf('-');
        ReadOnlySpan<char> digits = dash < 0 ? rest : rest[..dash];
        return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long sequence)
            ? (id[..8], sequence, dash < 0 || dash == rest.Length - 1 ? null : rest[(dash + 1)..].ToString())
            : default;
    }

    private bool Contains(long oldest, string eventId)
    {
        for (long s = oldest; s < _next; s++)
        {
            if (_replay[s % _replay.Length].Event.EventId == eventId)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One client: its filter, its bounded buffer, and whether it fell behind.</summary>
    internal sealed class Connection(EventFilter filter, int capacity)
    {
        public EventFilter Filter { get; } = filter;

        public Channel<SseItem<string>> Items { get; } = Channel.CreateBounded<SseItem<string>>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = false });

        public bool Lagged { get; private set; }

        /// <summary>Queues an item the filter lets through; false when the buffer was full (the connection is then closed).</summary>
        public bool Offer(SseItem<string> item, IntileryEvent? e)
        {
            if (e is not null && !Filter.Matches(e))
            {
                return true;
            }

            if (Items.Writer.TryWrite(item))
            {
                return true;
            }

            Lagged = true;
            Items.Writer.TryComplete();
            return false;
        }
    }
}
