using System.Net;
using EventStream.Api;
using EventStream.Api.Internal;
using EventStream.Simulator;
using EventStream.Simulator.Internal;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Infrastructure;

/// <summary>
/// The Events API in memory, on a <see cref="FakeTimeProvider"/>: the simulator's own index (sorting, ties by arrival,
/// visibility, bounds, the 10,000 window) without HTTP, so that feed logic can be stepped deterministically.
/// </summary>
internal sealed class InMemoryApi : IPageSource
{
    private readonly EventStore _store = new();
    private readonly Func<int, bool>? _fail;
    private int _requests;

    public InMemoryApi(FakeTimeProvider time, bool inclusive = false, Func<int, bool>? fail = null, int seed = 1)
    {
        Time = time;
        Inclusive = inclusive;
        _fail = fail;
        Events = new SyntheticEvents(seed);
    }

    public FakeTimeProvider Time { get; }

    public bool Inclusive { get; }

    public SyntheticEvents Events { get; }

    public bool SendDate { get; set; } = true;

    public int Requests => _requests;

    public List<EventsQuery> Queries { get; } = [];

    /// <summary>Simulated time each request takes (the clock advances by it before the query is answered).</summary>
    public TimeSpan Latency { get; set; }

    /// <summary>Called with the server's clock before each query is answered, e.g. to add the traffic due by then.</summary>
    public Action<DateTimeOffset>? BeforeQuery { get; set; }

    /// <summary>Whether the queries' pages are recorded in <see cref="Queries"/> (off for long runs).</summary>
    public bool RecordQueries { get; set; } = true;

    /// <summary>Like the HTTP client: retry a failed request this many times (telling the feed through onRetry) before throwing.</summary>
    public int ClientRetries { get; set; }

    /// <summary>Answers the next request with this body instead of the index's page (each use consumes one).</summary>
    public Queue<byte[]> CannedBodies { get; } = new();

    public SimulatedEvent Add(DateTimeOffset eventTime, DateTimeOffset? visibleAt = null, string? action = null)
    {
        DateTimeOffset visible = visibleAt ?? eventTime;
        SimulatedEvent e = Events.Create(eventTime, visible, visible, action);
        _store.Add(e);
        return e;
    }

    /// <summary>Forgets events older than <paramref name="time"/> (long simulated runs).</summary>
    public void RemoveBefore(DateTimeOffset time) => _store.RemoveBefore(time);

    /// <summary>Adds an event as it is (e.g. hostile JSON), visible at its event time.</summary>
    public void AddRaw(SimulatedEvent e) => _store.Add(e);

    public Task<TResult> FetchAsync<TState, TResult>(EventsQuery query, PageParser<TState, TResult> parse, TState state, Action<EventsApiException, TimeSpan>? onRetry, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return Attempt(query, parse, state);
            }
            catch (EventsApiException ex) when (ex.IsTransient && attempt < ClientRetries)
            {
                onRetry?.Invoke(ex, TimeSpan.FromMilliseconds(200));
            }
        }
    }

    private Task<TResult> Attempt<TState, TResult>(EventsQuery query, PageParser<TState, TResult> parse, TState state)
    {
        query.Validate();
        int n = Interlocked.Increment(ref _requests);
        if (RecordQueries)
        {
            Queries.Add(query);
        }

        if (Latency > TimeSpan.Zero)
        {
            Time.Advance(Latency);
        }
        if (_fail?.Invoke(n) == true)
        {
            throw new EventsApiException(HttpStatusCode.ServiceUnavailable, "internal_server_error", "injected", "req-" + n);
        }

        var q = new EventQuery(
            query.Include.Count > 0 ? [.. query.Include] : null,
            query.Exclude.Count > 0 ? [.. query.Exclude] : null,
            query.Start is { } s ? Truncate(s) : null,
            query.End is { } e ? Truncate(e) : null,
            query.Sort != EventSort.Ascending,
            query.From,
            query.Size,
            Inclusive);
        DateTimeOffset now = Time.GetUtcNow();
        BeforeQuery?.Invoke(now);
        (long total, List<SimulatedEvent> page) = _store.Query(q, now);
        byte[] body = CannedBodies.Count > 0 ? CannedBodies.Dequeue() : SyntheticEvents.Page(page, total);
        DateTimeOffset? date = SendDate ? new DateTimeOffset(now.UtcTicks - (now.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero) : null;
        return Task.FromResult(parse(body, new ResponseInfo("req-" + n, date, Time.GetTimestamp()), state));
    }

    // The API's times have millisecond precision.
    private static DateTimeOffset Truncate(DateTimeOffset t) => new(t.UtcTicks - (t.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);
}
