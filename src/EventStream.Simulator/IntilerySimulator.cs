using EventStream.Simulator.Internal;

namespace EventStream.Simulator;

/// <summary>
/// A real HTTP server (Kestrel, 127.0.0.1) that answers like the Intilery Events API: auth, content-type,
/// every query parameter and its errors, 404s, the token bucket with 429 and <c>Retry-After</c>, 413, the
/// 10,000-result window, default <c>sort=desc</c>, <c>x-amzn-RequestId</c> and <c>total</c>; with synthetic
/// backlog and live traffic, late events, same-millisecond bursts, deterministic fault injection, and bounded
/// retention (<see cref="SimulatorOptions.Retention"/>, <see cref="SimulatorOptions.MaxEvents"/>).
/// </summary>
public sealed class IntilerySimulator : IAsyncDisposable
{
    /// <summary>The most results <c>from</c> + <c>size</c> can reach.</summary>
    public const int ResultWindow = 10_000;

    private readonly SimulatedBrand[] _brands;
    private readonly EventsEndpoint _endpoint;
    private readonly TrafficGenerator _traffic;
    private SimulatorHost? _host;

    private IntilerySimulator(SimulatorOptions options)
    {
        Options = options;
        _brands = [.. Enumerable.Range(0, options.Brands).Select(i => new SimulatedBrand(i, options))];
        _endpoint = new EventsEndpoint(options, _brands);
        _traffic = new TrafficGenerator(options, _brands);
    }

    /// <summary>The URL to configure a client with: the part before <c>{clientId}</c>, e.g. <c>http://127.0.0.1:5123/track/</c>.</summary>
    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The options the simulator runs with.</summary>
    public SimulatorOptions Options { get; }

    /// <summary>The generator of the first brand's synthetic events; use it to make events to <see cref="Add(SimulatedEvent)"/>.</summary>
    public SyntheticEvents Events => _brands[0].Events;

    /// <summary>The client/account/brand combinations served (<see cref="SimulatorOptions.Brands"/>), the first being the options' own.</summary>
    public IReadOnlyList<SimulatedBrand> Brands => _brands;

    /// <summary>Requests answered so far, in order of arrival (a request still being answered is listed once it is answered); the newest <see cref="SimulatorOptions.MaxLoggedRequests"/>.</summary>
    public IReadOnlyList<RequestRecord> Requests => _endpoint.Log.Snapshot();

    /// <summary>How many requests were received.</summary>
    public long RequestCount => _endpoint.RequestCount;

    /// <summary>How many <c>429</c> responses were served.</summary>
    public long RateLimitedCount => _endpoint.RateLimitedCount;

    /// <summary>How many events the simulator holds across its brands (visible or not yet).</summary>
    public int EventCount => _brands.Length == 1 ? _brands[0].EventCount : _brands.Sum(b => b.EventCount);

    /// <summary>How many events retention has dropped across its brands (<see cref="SimulatorOptions.Retention"/>, <see cref="SimulatorOptions.MaxEvents"/>).</summary>
    public long DroppedEventCount => _brands.Length == 1 ? _brands[0].DroppedEventCount : _brands.Sum(b => b.DroppedEventCount);

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
        simulator._traffic.AddBacklog(options.Brands == 1 ? simulator._brands[0] : null, options.Backlog, backlogEnd - options.BacklogSpan, backlogEnd);
        simulator._host = await SimulatorHost.StartAsync(options.Port, simulator._endpoint.HandleAsync, cancellationToken).ConfigureAwait(false);
        simulator.BaseUrl = new Uri(simulator._host.Address, "track/");
        simulator._traffic.Start();
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
    /// <returns>The events added (retention may already have dropped those older than it keeps).</returns>
    public IReadOnlyList<SimulatedEvent> AddBacklog(int count, DateTimeOffset from, DateTimeOffset to) => _traffic.AddBacklog(_brands[0], count, from, to);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _traffic.DisposeAsync().ConfigureAwait(false);
        if (_host is not null)
        {
            await _host.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The simulator's view of a base URL, for messages.</summary>
    /// <returns>The base URL.</returns>
    public override string ToString() => $"IntilerySimulator {BaseUrl}";
}
