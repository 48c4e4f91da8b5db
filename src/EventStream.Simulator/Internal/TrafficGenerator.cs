namespace EventStream.Simulator.Internal;

/// <summary>
/// Makes the simulator's traffic: a backlog, and live events at <see cref="SimulatorOptions.LiveRate"/> on a timer of the
/// server's <see cref="TimeProvider"/> (so a fake clock drives it), with the options' bursts, late receipt and index delay.
/// After each tick it trims every brand's store to its retention.
/// </summary>
internal sealed class TrafficGenerator : IAsyncDisposable
{
    /// <summary>How often live traffic is generated.</summary>
    internal static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);

    private readonly SimulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<SimulatedBrand> _brands;
    private readonly Func<SimulatedBrand, DateTimeOffset, DateTimeOffset, DateTimeOffset, SimulatedEvent> _create;

    /// <summary>Draws times, sizes and brands (the first brand's sequence, so a seed gives one schedule).</summary>
    private readonly SyntheticEvents _draw;

    /// <summary>The live timer, once started.</summary>
    private ITimer? _timer;

    /// <summary>Timestamp of the last tick.</summary>
    private long _last;

    /// <summary>Fractional events due but not yet made.</summary>
    private double _owed;

    /// <summary>The brand whose store is trimmed next.</summary>
    private int _trimNext;

    /// <param name="options">Rates, shares and bounds.</param>
    /// <param name="brands">Where events go (at random when more than one).</param>
    /// <param name="create">Makes an event (brand, eventTime, receivedTime, visibleAt); by default the brand's <see cref="SyntheticEvents"/>.</param>
    public TrafficGenerator(SimulatorOptions options, IReadOnlyList<SimulatedBrand> brands, Func<SimulatedBrand, DateTimeOffset, DateTimeOffset, DateTimeOffset, SimulatedEvent>? create = null)
    {
        _options = options;
        _time = options.TimeProvider;
        _brands = brands;
        _draw = brands[0].Events;
        _create = create ?? (static (brand, eventTime, received, visible) => brand.Events.Create(eventTime, received, visible));
    }

    /// <summary>
    /// Adds <paramref name="count"/> events with eventTime between <paramref name="from"/> and <paramref name="to"/>, to
    /// <paramref name="target"/> or (null) spread at random across the brands.
    /// </summary>
    public List<SimulatedEvent> AddBacklog(SimulatedBrand? target, int count, DateTimeOffset from, DateTimeOffset to)
    {
        var added = new List<SimulatedEvent>(count);
        long spanMs = Math.Max(1, (long)(to - from).TotalMilliseconds);
        double meanBurst = (2 + _options.MaxBurstSize) / 2.0;
        double burstStart = _options.BurstShare <= 0 ? 0 : _options.BurstShare / (meanBurst - (_options.BurstShare * meanBurst) + _options.BurstShare);
        while (added.Count < count)
        {
            DateTimeOffset time = from.AddMilliseconds(_draw.Next(0, (int)Math.Min(int.MaxValue, spanMs)));
            int size = _draw.NextDouble() < burstStart ? Math.Min(count - added.Count, _draw.Next(2, _options.MaxBurstSize + 1)) : 1;
            SimulatedBrand brand = target ?? _brands[_draw.Next(0, _brands.Count)];
            for (int i = 0; i < size; i++)
            {
                DateTimeOffset received = SyntheticEvents.TruncateToMs(ReceivedFor(time));
                SimulatedEvent e = _create(brand, time, received, received);
                brand.Store.Add(e);
                added.Add(e);
            }
        }

        DateTimeOffset now = _time.GetUtcNow();
        foreach (SimulatedBrand brand in _brands)
        {
            brand.Store.Trim(now);
        }

        return added;
    }

    /// <summary>Starts live traffic (nothing when the rate is 0).</summary>
    public void Start()
    {
        if (_options.LiveRate <= 0 || _timer is not null)
        {
            return;
        }

        _last = _time.GetTimestamp();
        _timer = _time.CreateTimer(static s => ((TrafficGenerator)s!).GenerateLive(), this, Tick, Tick);
    }

    public async ValueTask DisposeAsync()
    {
        if (_timer is not null)
        {
            await _timer.DisposeAsync().ConfigureAwait(false);
        }
    }

    private DateTimeOffset ReceivedFor(DateTimeOffset eventTime)
    {
        bool late = _options.LateShare > 0 && _draw.NextDouble() < _options.LateShare;
        double lagMs = late ? _draw.NextDouble() * _options.MaxLate.TotalMilliseconds : _draw.Next(5, 300);
        return eventTime.AddMilliseconds(lagMs);
    }

    private void GenerateLive()
    {
        long now = _time.GetTimestamp();
        _owed += _time.GetElapsedTime(_last, now).TotalSeconds * _options.LiveRate;
        _last = now;
        int due = (int)_owed;
        _owed -= due;
        DateTimeOffset clock = _time.GetUtcNow();
        DateTimeOffset received = SyntheticEvents.TruncateToMs(clock);
        while (due > 0)
        {
            bool burst = _options.BurstShare > 0 && _draw.NextDouble() < _options.BurstShare;
            int size = burst ? Math.Min(due, _draw.Next(2, _options.MaxBurstSize + 1)) : 1;
            bool late = _options.LateShare > 0 && _draw.NextDouble() < _options.LateShare;
            DateTimeOffset eventTime = received.AddMilliseconds(-(late ? _draw.NextDouble() * _options.MaxLate.TotalMilliseconds : _draw.Next(0, 100)));
            SimulatedBrand brand = _brands.Count == 1 ? _brands[0] : _brands[_draw.Next(0, _brands.Count)];
            for (int i = 0; i < size; i++)
            {
                DateTimeOffset visible = received.AddMilliseconds(_draw.NextDouble() * _options.MaxIndexDelay.TotalMilliseconds);
                brand.Store.Add(_create(brand, eventTime, received, visible));
            }

            due -= size;
        }

        TrimSome(clock);
    }

    // Retention for a share of the brands per tick, so that every brand is trimmed about once a second however many there are.
    private void TrimSome(DateTimeOffset now)
    {
        if (!_brands[0].Store.HasRetention)
        {
            return;
        }

        int share = Math.Min(_brands.Count, Math.Max(1, (int)Math.Ceiling(_brands.Count * Tick.TotalSeconds)));
        for (int i = 0; i < share; i++)
        {
            _brands[_trimNext].Store.Trim(now);
            _trimNext = (_trimNext + 1) % _brands.Count;
        }
    }
}
