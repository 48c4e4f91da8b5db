using System.Runtime.CompilerServices;
using System.Threading.Channels;
using EventStream.Api;
using EventStream.Parsing;

namespace EventStream.Feed;

/// <summary>An event and the name of the feed in a <see cref="FeedGroup"/> it came from.</summary>
/// <param name="Feed">The feed's name in the group.</param>
/// <param name="Event">The event.</param>
public readonly record struct FeedEvent(string Feed, IntileryEvent Event);

/// <summary>A feed's status, named.</summary>
/// <param name="Feed">The feed's name in the group.</param>
/// <param name="Status">Its status.</param>
public readonly record struct FeedGroupStatus(string Feed, FeedStatus Status);

/// <summary>
/// Many feeds in one process — different clients, accounts or brands, on the same or different tokens — each with its
/// own filters, start and checkpoint, consumed one by one (<see cref="this[string]"/>) or merged (subscribe, or
/// <see cref="ReadAllAsync"/>; each <see cref="FeedEvent"/> names its feed). The feeds share one HTTP connection pool;
/// feeds on one token share its token bucket in arrival order, and since a feed has at most one request waiting, a feed
/// catching up a backlog takes turns with a live feed rather than starving it. A feed that faults (say, a revoked token,
/// or a group observer that threw on its event) ends alone and for good: it says so in <see cref="Status"/> (and to an
/// observer subscribed with an error callback), the others go on.
/// </summary>
public sealed class FeedGroup : IObservable<FeedEvent>, IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, EventFeed> _feeds = new(StringComparer.Ordinal);
    private readonly List<EventsApiClient> _clients = [];
    private readonly List<GroupObserver> _observers = [];
    private readonly System.Reactive.Subjects.Subject<FeedGroupStatus> _status = new();
    private readonly List<IDisposable> _statusSubscriptions = [];
    private readonly HttpMessageHandler _handler;
    private bool _connected;
    private bool _disposed;

    /// <summary>Creates an empty group.</summary>
    /// <param name="handler">The HTTP handler every feed's client shares (the group does not dispose one given here); by default one like a client's own.</param>
    public FeedGroup(HttpMessageHandler? handler = null)
    {
        _handler = handler ?? EventsApiClient.DefaultHandler(TimeSpan.FromSeconds(5));
        OwnsHandler = handler is null;
    }

    private bool OwnsHandler { get; }

    /// <summary>The feeds' names, in the order they were added.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_lock)
            {
                return [.. _feeds.Keys];
            }
        }
    }

    /// <summary>The feeds' states as they change, each named (a new subscriber first gets every feed's current one).</summary>
    public IObservable<FeedGroupStatus> Status => System.Reactive.Linq.Observable.Create<FeedGroupStatus>(observer =>
    {
        lock (_lock)
        {
            foreach ((string name, EventFeed feed) in _feeds)
            {
                observer.OnNext(new FeedGroupStatus(name, feed.CurrentStatus));
            }

            return _status.Subscribe(observer);
        }
    });

    /// <summary>One feed by name.</summary>
    /// <param name="name">Its name.</param>
    /// <returns>The feed.</returns>
    /// <exception cref="KeyNotFoundException">No feed has that name.</exception>
    public EventFeed this[string name]
    {
        get
        {
            lock (_lock)
            {
                return _feeds.TryGetValue(name, out EventFeed? feed) ? feed : throw new KeyNotFoundException($"The group has no feed named '{name}'.");
            }
        }
    }

    /// <summary>Adds a feed with its own client (on the group's connection pool). Started at once if the group is.</summary>
    /// <param name="name">A name unique in the group, carried by each of its events.</param>
    /// <param name="api">Where it reads and with which token; validated now.</param>
    /// <param name="options">What it reads and how (its own start, filters, checkpoint store); validated now.</param>
    /// <returns>The feed.</returns>
    /// <exception cref="ArgumentException">The name is taken or empty, or an option is invalid (the message names it).</exception>
    public EventFeed Add(string name, EventsApiOptions api, FeedOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(api);
        (options ?? new FeedOptions()).Validate();
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_feeds.ContainsKey(name))
            {
                throw new ArgumentException($"The group already has a feed named '{name}'.", nameof(name));
            }

            var client = new EventsApiClient(api, _handler, disposeHandler: false);
            var feed = new EventFeed(client, options);
            _clients.Add(client);
            _feeds.Add(name, feed);
            _statusSubscriptions.Add(feed.Status.Subscribe(s => _status.OnNext(new FeedGroupStatus(name, s))));
            foreach (GroupObserver observer in _observers)
            {
                observer.Attach(name, feed);
            }

            if (_connected)
            {
                _ = feed.Connect();
            }

            return feed;
        }
    }

    /// <summary>Starts every feed (and those added later) polling, whether or not anyone consumes yet.</summary>
    /// <returns>A handle that disposes the group.</returns>
    public IDisposable Connect()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _connected = true;
            foreach (EventFeed feed in _feeds.Values)
            {
                _ = feed.Connect();
            }
        }

        return System.Reactive.Disposables.Disposable.Create(() => DisposeAsync().AsTask().GetAwaiter().GetResult());
    }

    /// <summary>
    /// Subscribes to every feed's events, merged: calls are serialized (never two at once), and an event counts as taken
    /// by its feed's checkpoint when the observer returns. Completes when every feed has ended; a feed that faults is
    /// reported through <see cref="Status"/> (Faulted, for good), not here, so one brand's error does not end the others'
    /// stream; to be told of it, use <see cref="Subscribe(IObserver{FeedEvent}, Action{string, Exception})"/>. If the
    /// observer throws on one feed's event, that feed faults alone (<see cref="ConsumerFaultException"/>, unless its
    /// <see cref="FeedOptions.ConsumerRetries"/> or <see cref="FeedOptions.OnDeadLetter"/> say otherwise).
    /// </summary>
    /// <param name="observer">The observer.</param>
    /// <returns>A handle that unsubscribes from every feed.</returns>
    public IDisposable Subscribe(IObserver<FeedEvent> observer) => Subscribe(observer, onFeedError: null);

    /// <summary>
    /// Subscribes to every feed's events, merged (as <see cref="Subscribe(IObserver{FeedEvent})"/>), and is told when one
    /// feed ends with an error: <paramref name="onFeedError"/> gets its name and the error (e.g. a revoked token's
    /// <see cref="EventsApiException"/>, or a <see cref="ConsumerFaultException"/> when the observer threw on its event),
    /// serialized with the observer's other calls; the merged stream goes on with the other feeds.
    /// </summary>
    /// <param name="observer">The observer.</param>
    /// <param name="onFeedError">Called once for each feed that faults, with its name and the error.</param>
    /// <returns>A handle that unsubscribes from every feed.</returns>
    public IDisposable Subscribe(IObserver<FeedEvent> observer, Action<string, Exception>? onFeedError)
    {
        ArgumentNullException.ThrowIfNull(observer);
        var group = new GroupObserver(observer, onFeedError);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _observers.Add(group);
            foreach ((string name, EventFeed feed) in _feeds)
            {
                group.Attach(name, feed);
            }

            group.Seal(_feeds.Count);
        }

        return System.Reactive.Disposables.Disposable.Create(() =>
        {
            lock (_lock)
            {
                _observers.Remove(group);
            }

            group.Dispose();
        });
    }

    /// <summary>
    /// Reads every feed's events, merged in arrival order. As with one feed, an event counts as taken (for its feed's
    /// checkpoint) when the next one is asked for; each feed has at most one event handed over at a time. Ends when
    /// every feed present at the start has ended; a feed that faults ends alone (see <see cref="Status"/>).
    /// </summary>
    /// <param name="cancellationToken">Ends this reader (not the feeds).</param>
    /// <returns>The events, each with its feed's name.</returns>
    public async IAsyncEnumerable<FeedEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        KeyValuePair<string, EventFeed>[] feeds;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            feeds = [.. _feeds];
        }

        // One enumerator per feed; a feed's next event is asked for only once its previous one was taken from here.
        // They read with a token of their own, so that a reader that stops early (break) ends them all: an enumerator
        // left waiting would stay registered with its feed as a consumer that never takes, holding back its checkpoint.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var ready = Channel.CreateUnbounded<(int Index, bool HasEvent)>(new UnboundedChannelOptions { SingleReader = true });
        var enumerators = new IAsyncEnumerator<IntileryEvent>[feeds.Length];
        var advancing = new Task[feeds.Length];
        int active = feeds.Length;
        try
        {
            for (int i = 0; i < feeds.Length; i++)
            {
                enumerators[i] = feeds[i].Value.ReadAllAsync(stop.Token).GetAsyncEnumerator(stop.Token);
                advancing[i] = AdvanceAsync(enumerators[i], i, ready.Writer);
            }

            while (active > 0)
            {
                (int index, bool hasEvent) = await ready.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (!hasEvent)
                {
                    active--;
                    continue;
                }

                yield return new FeedEvent(feeds[index].Key, enumerators[index].Current);
                advancing[index] = AdvanceAsync(enumerators[index], index, ready.Writer);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            for (int i = 0; i < enumerators.Length; i++)
            {
                if (enumerators[i] is { } enumerator)
                {
                    await advancing[i].ConfigureAwait(false); // never throws: it reports through the channel
                    await enumerator.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    // Moves one feed's enumerator on and says when it has (an ended or faulted feed: no event).
    private static async Task AdvanceAsync(IAsyncEnumerator<IntileryEvent> enumerator, int index, ChannelWriter<(int, bool)> ready)
    {
        bool hasEvent;
        try
        {
            hasEvent = await enumerator.MoveNextAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            hasEvent = false; // the feed faulted (its status says why) or the reader was cancelled
        }

        ready.TryWrite((index, hasEvent));
    }

    /// <summary>Stops every feed (each saves its checkpoint) and releases the connection pool.</summary>
    /// <returns>A task that completes when every feed has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        EventFeed[] feeds;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            feeds = [.. _feeds.Values];
        }

        await Task.WhenAll(feeds.Select(f => f.DisposeAsync().AsTask())).ConfigureAwait(false);
        foreach (IDisposable subscription in _statusSubscriptions)
        {
            subscription.Dispose();
        }

        _status.OnCompleted();
        foreach (EventsApiClient client in _clients)
        {
            client.Dispose();
        }

        if (OwnsHandler)
        {
            _handler.Dispose();
        }
    }

    /// <summary>One subscriber to the merged stream: serializes the feeds' calls and completes once every feed has ended.</summary>
    private sealed class GroupObserver(IObserver<FeedEvent> observer, Action<string, Exception>? onFeedError) : IDisposable
    {
        private readonly Lock _gate = new();
        private readonly List<IDisposable> _subscriptions = [];
        private int _open;
        private bool _sealed;
        private bool _done;

        public void Attach(string name, EventFeed feed)
        {
            Interlocked.Increment(ref _open);
            _subscriptions.Add(feed.Subscribe(new FeedObserver(this, name)));
        }

        // Attached to every feed present at subscription; later ones keep it open until they end too.
        public void Seal(int count)
        {
            _sealed = true;
            if (count == 0)
            {
                Ended(countDown: false);
            }
        }

        public void Dispose()
        {
            lock (_gate)
            {
                _done = true;
            }

            foreach (IDisposable subscription in _subscriptions)
            {
                subscription.Dispose();
            }
        }

        private void OnNext(string name, IntileryEvent e)
        {
            lock (_gate)
            {
                if (!_done)
                {
                    observer.OnNext(new FeedEvent(name, e)); // if it throws, that feed faults (or retries, or dead-letters)
                }
            }
        }

        private void OnFeedError(string name, Exception error)
        {
            try
            {
                lock (_gate)
                {
                    if (!_done)
                    {
                        onFeedError?.Invoke(name, error);
                    }
                }
            }
            finally
            {
                Ended();
            }
        }

        private void Ended() => Ended(countDown: true);

        /// <summary>The group observer's subscription to one feed (a consumer of kind "group observer").</summary>
        private sealed class FeedObserver(GroupObserver group, string name) : IObserver<IntileryEvent>, Internal.IFeedConsumer
        {
            public string Kind => "group observer";

            public void OnNext(IntileryEvent value) => group.OnNext(name, value);

            public void OnError(Exception error) => group.OnFeedError(name, error);

            public void OnCompleted() => group.Ended();
        }

        private void Ended(bool countDown)
        {
            if (countDown && Interlocked.Decrement(ref _open) > 0)
            {
                return;
            }

            if (!_sealed)
            {
                return;
            }

            lock (_gate)
            {
                if (_done)
                {
                    return;
                }

                _done = true;
                observer.OnCompleted();
            }
        }
    }
}
