using System.Reactive.Subjects;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using EventStream.Api;
using EventStream.Api.Internal;
using EventStream.Checkpoints;
using EventStream.Feed.Internal;
using EventStream.Parsing;
using Microsoft.Extensions.Logging;

namespace EventStream.Feed;

/// <summary>
/// A real-time stream of Intilery events: one background poller (DESIGN.md §3) feeding a hot, shared
/// <see cref="IObservable{T}"/> and any number of <see cref="ReadAllAsync"/> readers, with one set of HTTP requests.
/// Polling starts with the first subscriber, the first reader, or <see cref="Connect"/>, and stops when disposed.
/// </summary>
/// <example>
/// <code>
/// await using var feed = new EventFeed(apiOptions, new FeedOptions { Start = FeedStart.Latest(100) });
/// await foreach (IntileryEvent e in feed.ReadAllAsync(cancellationToken))
///     Console.WriteLine(e);
/// </code>
/// </example>
public sealed partial class EventFeed : IConnectableObservable<IntileryEvent>, IAsyncDisposable
{
    private readonly IPageSource _source;
    private readonly EventsApiClient? _ownedClient;
    private readonly FeedOptions _options;
    private readonly TimeProvider _time;
    private readonly ICheckpointStore _store;
    /// <summary>Events and step positions from the poller to the dispatcher (the read-ahead buffer).</summary>
    private readonly Channel<FeedItem> _channel;
    private readonly BehaviorSubject<FeedStatus> _status;
    /// <summary>Cancelled on disposal and on a fault: stops the poller, the dispatcher and the saver.</summary>
    private readonly CancellationTokenSource _stop = new();
    /// <summary>The one lifecycle state; status and <see cref="Completion"/> derive from it.</summary>
    private readonly FeedLifecycle _lifecycle = new();
    /// <summary>Guards the consumer lists against the end of the feed (a consumer joining as it ends is told at once).</summary>
    private readonly Lock _readersLock = new();
    private readonly Lock _statusLock = new();
    private readonly SemaphoreSlim _consumerArrived = new(0);
    /// <summary>The readers, copy-on-write under <see cref="_readersLock"/>.</summary>
    private Reader[] _readers = [];
    /// <summary>The observers, in subscription order (the order each event is handed to them), copy-on-write under <see cref="_readersLock"/>.</summary>
    private Subscriber[] _subscribers = [];
    private readonly Committer _committer;
    /// <summary>Saves what consumers have taken.</summary>
    private readonly CheckpointSaver _saver;
    /// <summary>Loads the checkpoint and steps the engine into <see cref="_channel"/> (made on start, when StopWhenCaughtUp is known).</summary>
    private FeedPoller? _poller;
    /// <summary>The observers' shared progress while any are subscribed.</summary>
    private ConsumerProgress? _observerProgress;
    private int _observerCount;
    private Task? _polling;
    private Task? _pump;
    private Task? _saving;
    private int _started;
    private int _disposed;
    private readonly ILogger? _logger;
    private readonly KeyValuePair<string, object?> _brand;
    private long _lastEventTicks;
    /// <summary>Events handed over to every consumer (counted once, by the dispatcher).</summary>
    private long _handedOver;
    /// <summary>Of <see cref="_handedOver"/>, the late ones.</summary>
    private long _lateHandedOver;
    /// <summary>Times an event was handed again to an observer that threw on it.</summary>
    private long _consumerRetries;
    /// <summary>Events reported to <see cref="FeedOptions.OnDeadLetter"/> and skipped.</summary>
    private long _deadLettered;
    /// <summary>Numbers the dispatcher's handovers, so the stall watchdog can tell one from the next.</summary>
    private long _handoverNumber;
    /// <summary>When the current handover began (a <see cref="TimeProvider"/> timestamp); 0 between handovers.</summary>
    private long _handoverStart;
    /// <summary>The event being handed over now.</summary>
    private IntileryEvent? _handoverEvent;
    /// <summary>Which kind of consumer the current handover is waiting on.</summary>
    private string _waitingOn = ObserverKind;
    /// <summary>The stall being reported, if any (set by the watchdog, cleared by whoever sees it end first).</summary>
    private ConsumerStall? _stall;
    /// <summary>The stall watchdog: ticks every quarter of <see cref="FeedOptions.StallThreshold"/> while the feed runs.</summary>
    private ITimer? _stallTimer;

    private const string ObserverKind = "observer";
    private const string ReaderKind = "reader";

    /// <summary>Creates a feed that reads through an existing client (which it does not dispose).</summary>
    /// <param name="client">The API client.</param>
    /// <param name="options">What to read and how; validated now.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026", Justification = "The two constructors differ in their first parameter's type; neither can be confused with the other.")]
    public EventFeed(EventsApiClient client, FeedOptions? options = null)
        : this((IPageSource)(client ?? throw new ArgumentNullException(nameof(client))), options, ownedClient: null)
    {
    }

    /// <summary>Creates a feed with its own client.</summary>
    /// <param name="api">Where the API is and how to call it; validated now.</param>
    /// <param name="options">What to read and how; validated now.</param>
    /// <exception cref="ArgumentException">An option is invalid; the message names it.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0026", Justification = "The two constructors differ in their first parameter's type; neither can be confused with the other.")]
    public EventFeed(EventsApiOptions api, FeedOptions? options = null)
        : this(OwnedClient(api, options), options, ownedClient: null)
    {
        _ownedClient = (EventsApiClient)_source;
    }

    // Feed options are checked before the client exists, so a bad option leaks no client (nor its share of the token bucket).
    private static EventsApiClient OwnedClient(EventsApiOptions api, FeedOptions? options)
    {
        (options ?? new FeedOptions()).Validate();
        return new EventsApiClient(api);
    }

    internal EventFeed(IPageSource source, FeedOptions? options, EventsApiClient? ownedClient)
    {
        _source = source;
        _ownedClient = ownedClient;
        options ??= new FeedOptions();
        options.Validate();
        _options = options.Clone();
        _time = _options.TimeProvider;
        _store = _options.CheckpointStore ?? new InMemoryCheckpointStore();
        _channel = Channel.CreateBounded<FeedItem>(new BoundedChannelOptions(_options.BufferCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _committer = new Committer(FeedEngine.KeyOf(_options));
        EventsApiOptions? api = (source as EventsApiClient)?.Options;
        _logger = _options.Logger ?? api?.Logger;
        _brand = Diagnostics.Internal.Telemetry.Brand(api?.BrandId ?? "");
        _saver = new CheckpointSaver(_store, _committer, _options, _logger, onFailure: RepublishStatus, _stop.Token);
        _status = new BehaviorSubject<FeedStatus>(new FeedStatus(FeedState.Idle, null, null, null, null, Counters));
    }

    /// <summary>The feed's state, replaying the current one to each new subscriber.</summary>
    public IObservable<FeedStatus> Status => _status;

    /// <summary>The feed's current state (once the feed has faulted or stopped, always that).</summary>
    public FeedStatus CurrentStatus
    {
        get
        {
            FeedStatus status = _status.Value;
            FeedState state = _lifecycle.Derive(status.State);
            return state == status.State ? status : status with { State = state, Error = _lifecycle.Error, Behind = null, Remaining = null, NextAttempt = null };
        }
    }

    /// <summary>The event time of the last event handed to consumers, if any.</summary>
    public DateTimeOffset? LastEventTime => Interlocked.Read(ref _lastEventTicks) is var ticks and not 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;

    /// <summary>
    /// Where this feed resumed: the id of the last event taken before the checkpoint it loaded (in delivery order), so
    /// what it delivers follows that event; <see langword="null"/> until the checkpoint is loaded, or with none. A relay
    /// that numbers events (e.g. server-sent events) can tell from it that a client holding this id misses nothing.
    /// </summary>
    public string? ResumedAfter => _poller?.ResumedAfter;

    /// <summary>What the feed has done so far.</summary>
    public FeedCounters Counters
    {
        get
        {
            FeedPoller? poller = Volatile.Read(ref _poller);
            FeedEngine? e = poller?.Engine;
            long handedOver = Interlocked.Read(ref _handedOver); // before what was read, so Buffered is never negative
            return new FeedCounters(
                e?.Requests ?? 0,
                handedOver,
                Interlocked.Read(ref _lateHandedOver),
                e?.Duplicates ?? 0,
                poller?.RateLimited ?? 0,
                poller?.Retries ?? 0,
                e?.SweepRequests ?? 0,
                e?.RequestsPerSecond ?? 0,
                e?.Unreadable ?? 0,
                _saver.Saves,
                _saver.FailuresTotal,
                Math.Max(0, (e?.Delivered ?? 0) - handedOver),
                Interlocked.Read(ref _consumerRetries),
                Interlocked.Read(ref _deadLettered));
        }
    }

    /// <summary>
    /// Completes when the feed stops: when disposed or when it has delivered everything asked for. Faults with a permanent
    /// API error as it is (e.g. <see cref="EventsApiException"/>), or with a <see cref="ConsumerFaultException"/> wrapping
    /// what a consumer threw; by then every subscriber has had <c>OnError</c> and every reader throws.
    /// </summary>
    public Task Completion => _lifecycle.Completion;

    /// <summary>Complete once the head has reached the newest event and the settle sweep has covered it (for batch jobs, <c>tail --until-caught-up</c>).</summary>
    public bool StopWhenCaughtUp { get; init; }

    /// <summary>Starts polling (if it has not started). Disposing the result stops the feed.</summary>
    /// <returns>A handle that disposes the feed.</returns>
    public IDisposable Connect()
    {
        EnsureStarted();
        return System.Reactive.Disposables.Disposable.Create(() => DisposeAsync().AsTask().GetAwaiter().GetResult());
    }

    /// <summary>
    /// Subscribes to the hot stream of events, starting polling on the first subscription. Observers get each event one
    /// at a time, in subscription order; the next event goes out once all have returned, so one that blocks holds the
    /// others (reported as <see cref="FeedStatus.Stall"/>). If <see cref="IObserver{T}.OnNext"/> throws, the feed faults
    /// for good with a <see cref="ConsumerFaultException"/> that every subscriber gets through <c>OnError</c> (unless
    /// <see cref="FeedOptions.ConsumerRetries"/> or <see cref="FeedOptions.OnDeadLetter"/> say otherwise).
    /// </summary>
    /// <param name="observer">The observer; events it has returned from are what the checkpoint records as taken.</param>
    /// <returns>A handle that unsubscribes (polling continues until the feed is disposed).</returns>
    public IDisposable Subscribe(IObserver<IntileryEvent> observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var subscriber = new Subscriber(observer, observer is IFeedConsumer named ? named.Kind : ObserverKind);
        bool ended;
        lock (_readersLock)
        {
            ended = _lifecycle.IsTerminal;
            if (!ended)
            {
                _subscribers = [.. _subscribers, subscriber];
            }
        }

        if (ended)
        {
            Tell(subscriber, _lifecycle.Error); // as a subject does: a late subscriber learns at once how the feed ended
            EnsureStarted();
            return System.Reactive.Disposables.Disposable.Empty;
        }

        if (Interlocked.Increment(ref _observerCount) == 1)
        {
            Volatile.Write(ref _observerProgress, _committer.Join());
        }

        _consumerArrived.Release();
        EnsureStarted();
        return System.Reactive.Disposables.Disposable.Create(() =>
        {
            lock (_readersLock)
            {
                if (subscriber.Left)
                {
                    return;
                }

                subscriber.Left = true;
                _subscribers = [.. _subscribers.Where(s => s != subscriber)];
            }

            if (Interlocked.Decrement(ref _observerCount) == 0 && Interlocked.Exchange(ref _observerProgress, null) is { } progress)
            {
                _committer.Leave(progress);
            }
        });
    }

    /// <summary>
    /// Reads events as they arrive, starting polling if needed. Several readers each see every event, each through a
    /// buffer of its own (<see cref="FeedOptions.BufferCapacity"/>). An exception in the <c>await foreach</c> body ends
    /// this reader only (C# does not tell the iterator an exception from <c>break</c>): the event it was on is not taken,
    /// so, if no other consumer has taken it, the checkpoint stays before it and a restart delivers it first.
    /// </summary>
    /// <param name="cancellationToken">Ends this reader (not the feed).</param>
    /// <returns>The events; the enumeration ends when the feed completes and throws if it faults (e.g. <see cref="ConsumerFaultException"/>).</returns>
    public async IAsyncEnumerable<IntileryEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Reader reader = Register();
        try
        {
            ChannelReader<FeedItem> items = reader.Items.Reader;
            while (await items.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (items.TryRead(out FeedItem item))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    if (item.Event is { } e)
                    {
                        await BeforeTakingAsync(item.Sequence, cancellationToken).ConfigureAwait(false);
                        yield return e;
                    }

                    reader.Progress.Take(item.Sequence); // taken: we were asked for the next one
                }
            }
        }
        finally
        {
            Unregister(reader);
        }
    }

    /// <summary>
    /// Reads events in batches of whatever has arrived (at most <paramref name="maxBatchSize"/>), for consumers that do
    /// per-batch work such as one flush or one database transaction. A batch counts as taken when the next is asked for.
    /// </summary>
    /// <param name="maxBatchSize">The most events in one batch.</param>
    /// <param name="cancellationToken">Ends this reader (not the feed).</param>
    /// <returns>Non-empty batches; the enumeration ends when the feed completes and throws if it faults.</returns>
    public async IAsyncEnumerable<IReadOnlyList<IntileryEvent>> ReadBatchesAsync(int maxBatchSize = 1_000, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        Reader reader = Register();
        try
        {
            ChannelReader<FeedItem> items = reader.Items.Reader;
            while (await items.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var batch = new List<IntileryEvent>();
                long last = -1;
                while (batch.Count < maxBatchSize && items.TryPeek(out FeedItem next))
                {
                    if (next.Event is not null && batch.Count > 0 && WouldPassSaveBound(next.Sequence))
                    {
                        break; // hand over what is here first, so that a crash repeats at most CheckpointAfterEvents
                    }

                    items.TryRead(out FeedItem item);
                    last = item.Sequence;
                    if (item.Event is { } e)
                    {
                        batch.Add(e);
                    }
                }

                if (batch.Count > 0)
                {
                    await BeforeTakingAsync(last, cancellationToken).ConfigureAwait(false);
                    yield return batch;
                }

                if (last >= 0)
                {
                    reader.Progress.Take(last); // taken: we were asked for the next batch
                }
            }
        }
        finally
        {
            Unregister(reader);
        }
    }

    /// <summary>Readers (<see cref="ReadAllAsync"/>, <see cref="ReadBatchesAsync"/>) registered now.</summary>
    internal int ReaderCount => Volatile.Read(ref _readers).Length;

    private Reader Register()
    {
        var reader = new Reader(_options.BufferCapacity, _committer.Join());
        lock (_readersLock)
        {
            _readers = [.. _readers, reader];
            if (_lifecycle.IsTerminal)
            {
                reader.Items.Writer.TryComplete(_lifecycle.Error); // the feed has already completed or faulted
            }
        }

        _consumerArrived.Release();
        EnsureStarted();
        return reader;
    }

    private void Unregister(Reader reader)
    {
        lock (_readersLock)
        {
            _readers = [.. _readers.Where(r => r != reader)];
        }

        reader.Items.Writer.TryComplete();
        _committer.Leave(reader.Progress);
    }

    // Taking `sequence` would leave CheckpointAfterEvents or more taken but unsaved (while saves work).
    private bool WouldPassSaveBound(long sequence) => _saver.WouldPassSaveBound(sequence);

    // A consumer is about to take `sequence`: at the count bound it waits for the save (see CheckpointSaver).
    private ValueTask BeforeTakingAsync(long sequence, CancellationToken cancellationToken) => _saver.BeforeTakingAsync(sequence, cancellationToken);

    private Task SaveAsync(bool throwOnFailure) => _saver.SaveAsync(throwOnFailure);

    /// <summary>
    /// Saves the position consumers have taken now (it is also saved every <see cref="FeedOptions.CheckpointInterval"/>,
    /// every <see cref="FeedOptions.CheckpointAfterEvents"/> events, and on stop).
    /// </summary>
    /// <returns>A task that completes when saved.</returns>
    /// <exception cref="Exception">The store's error when the save fails (the previous checkpoint is kept).</exception>
    public Task SaveCheckpointAsync() => SaveAsync(throwOnFailure: true);

    /// <summary>Stops polling, saves the position consumers have taken, completes subscribers and readers.</summary>
    /// <returns>A task that completes when stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _lifecycle.Completion.ContinueWith(static _ => { }, TaskScheduler.Default).ConfigureAwait(false);
            return;
        }

        _lifecycle.TryStop();
        await _stop.CancelAsync().ConfigureAwait(false);
        Diagnostics.Internal.Telemetry.Forget(this);
        if (_polling is not null)
        {
            await Quietly(_polling).ConfigureAwait(false);
            await Quietly(_pump!).ConfigureAwait(false);
        }

        if (_saving is not null)
        {
            await Quietly(_saving).ConfigureAwait(false);
        }

        if (_stallTimer is not null)
        {
            await _stallTimer.DisposeAsync().ConfigureAwait(false);
        }

        await SaveAsync(throwOnFailure: false).ConfigureAwait(false);
        _saver.WakeWaiters(); // any reader still waiting for a save goes on
        if (_lifecycle.TryComplete())
        {
            Publish(FeedState.Stopped);
            EndConsumers();
        }

        _status.OnCompleted();
        _ownedClient?.Dispose();
        _consumerArrived.Dispose();
        _saver.Dispose();
        _stop.Dispose();
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Already reported through Completion and Status.
        }
    }

    private void EnsureStarted()
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            _lifecycle.TryStart();
            TimeSpan tick = TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, _options.StallThreshold.Ticks / 4));
            _stallTimer = _time.CreateTimer(static feed => ((EventFeed)feed!).CheckStall(), this, tick, tick);
            var poller = new FeedPoller(_source, _options, _store, _committer, _channel.Writer, Publish, _logger, _brand) { StopWhenCaughtUp = StopWhenCaughtUp };
            Volatile.Write(ref _poller, poller);
            _polling = Task.Run(() => poller.RunAsync(_stop.Token));
            _pump = Task.Run(() => PumpAsync(_stop.Token));
            _saving = Task.Run(() => _saver.RunAsync(_stop.Token));
            Diagnostics.Internal.Telemetry.Track(this, () => (
                (string)_brand.Value!,
                _status.Value is { State: FeedState.CatchingUp, Behind: { } behind } ? behind.TotalSeconds : 0,
                _channel.Reader.Count));
        }
    }

    // A save failed: the same state, with the failure counted.
    private void RepublishStatus()
    {
        FeedStatus current = _status.Value;
        Publish(current.State, current.Behind, current.Remaining, current.NextAttempt, current.Error);
    }

    private void Publish(FeedState state, TimeSpan? behind = null, long? remaining = null, DateTimeOffset? nextAttempt = null, Exception? error = null)
    {
        if (_status.IsDisposed)
        {
            return;
        }

        lock (_statusLock) // the poller, the dispatcher and the saver all publish; observers must see one call at a time
        {
            // Derived from the lifecycle: once the feed has faulted or completed, no loop can report it otherwise.
            FeedState derived = _lifecycle.Derive(state);
            if (derived != state)
            {
                (behind, remaining, nextAttempt, error) = (null, null, null, _lifecycle.Error);
            }

            _status.OnNext(new FeedStatus(derived, behind, remaining, nextAttempt, error, Counters) { Stall = Volatile.Read(ref _stall) });
        }
    }

    /// <summary>One observer and the kind of consumer it is (for status, logs and <see cref="ConsumerFaultException"/>).</summary>
    private sealed class Subscriber(IObserver<IntileryEvent> observer, string kind)
    {
        public IObserver<IntileryEvent> Observer { get; } = observer;

        public string Kind { get; } = kind;

        /// <summary>Unsubscribed (under the feed's readers lock).</summary>
        public bool Left { get; set; }
    }

    private sealed class Reader(int capacity, ConsumerProgress progress)
    {
        public Channel<FeedItem> Items { get; } = Channel.CreateBounded<FeedItem>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });

        public ConsumerProgress Progress { get; } = progress;
    }
}
