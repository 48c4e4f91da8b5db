using System.Collections.Concurrent;
using System.Text;
using EventStream.Api;
using EventStream.Feed;
using EventStream.Internal;
using EventStream.Parsing;
using Microsoft.Extensions.Logging;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;

namespace EventStream.Nats;

/// <summary>
/// Publishes feeds into a JetStream stream, exactly once, shared among any number of relay processes.
/// <list type="bullet">
/// <item>Each event goes to <c>{prefix}.{client}.{account}.{brand}.{eventAction}</c>, its JSON exactly as received, with
/// <c>Nats-Msg-Id</c> = eventId; the stream's duplicate window drops what a restart publishes again.</item>
/// <item>A feed's checkpoint (in <c>{prefix}-checkpoints</c>, compare-and-set) advances only past batches the server
/// acknowledged.</item>
/// <item>Relays share the feeds through leases in <c>{prefix}-leases</c> (create-if-absent, renewed by revision, expired
/// by the bucket's age limit) and announce themselves in <c>{prefix}-members</c>: each takes about its share, so feeds
/// rebalance when relays join or leave, and a dead relay's feeds resume on the others after the lease time.</item>
/// <item>A relay stops publishing a feed two thirds of the lease after the last renewal it asked for that succeeded, by a
/// timer of its own (whatever its connection or renewal round is doing), so that the lease has a third of its time left
/// when another relay can take it; each message names the relay that published it in <c>EventStream-Relay</c>.</item>
/// </list>
/// </summary>
public sealed class NatsRelay
{
    // How long a batch may wait for its acknowledgements before it is published again (NATS.Net's JetStream request timeout).
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(5);
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    /// <summary>The header that names the relay (its <see cref="InstanceId"/>) that published a message.</summary>
    public const string RelayHeader = "EventStream-Relay";
    private readonly NatsRelayOptions _options;
    private readonly INatsConnection _nats;
    private readonly NatsJSContext _js;
    private readonly NatsKVContext _kv;
    private readonly Dictionary<string, RelayFeed> _feeds;
    private readonly ConcurrentDictionary<string, Owned> _owned = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (int Failures, long Until)> _failed = new(StringComparer.Ordinal); // feeds that ended on an error: not retaken until then
    private readonly TimeProvider _time;
    private readonly ILogger? _log;
    private INatsKVStore? _leases;
    private INatsKVStore? _members;
    private INatsKVStore? _checkpoints;
    private AckedPublisher? _publisher;
    private long _published;
    private long _duplicates;
    private int _memberCount = 1;

    /// <summary>Creates a relay (nothing happens until <see cref="RunAsync"/>).</summary>
    /// <param name="nats">The connection (the relay does not dispose it).</param>
    /// <param name="feeds">The feeds the relays share; every relay should be given the same list.</param>
    /// <param name="options">Stream, buckets, lease time; validated now.</param>
    /// <exception cref="ArgumentException">An option is invalid, or two feeds have the same client/account/brand.</exception>
    public NatsRelay(INatsConnection nats, IEnumerable<RelayFeed> feeds, NatsRelayOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(nats);
        ArgumentNullException.ThrowIfNull(feeds);
        _options = options ?? new NatsRelayOptions();
        _options.Validate();
        _feeds = new Dictionary<string, RelayFeed>(StringComparer.Ordinal);
        foreach (RelayFeed feed in feeds)
        {
            if (!_feeds.TryAdd(feed.Key, feed))
            {
                throw new ArgumentException($"Two feeds are for {feed}.", nameof(feeds));
            }
        }

        _nats = nats;
        _js = new NatsJSContext((NatsConnection)nats);
        _kv = new NatsKVContext(_js);
        _time = _options.TimeProvider;
        _log = _options.Logger;
    }

    /// <summary>This relay's instance id.</summary>
    public string InstanceId => _options.InstanceId;

    /// <summary>The feeds this relay publishes now (their keys).</summary>
    public IReadOnlyCollection<string> OwnedFeeds => [.. _owned.Keys];

    /// <summary>Events the server acknowledged as new in the stream.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Events the server acknowledged as duplicates (published again after a restart or takeover, and dropped).</summary>
    public long Duplicates => Interlocked.Read(ref _duplicates);

    /// <summary>Relays seen in the members bucket at the last renewal (this one included).</summary>
    public int Members => Volatile.Read(ref _memberCount);

    /// <summary>Creates (or updates) the stream with the options' subjects and duplicate window.</summary>
    /// <param name="js">JetStream.</param>
    /// <param name="options">The relay's options.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task.</returns>
    public static async Task EnsureStreamAsync(INatsJSContext js, NatsRelayOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(options);
        await js.CreateOrUpdateStreamAsync(
            new StreamConfig(options.StreamName, [$"{options.SubjectPrefix}.>"])
            {
                DuplicateWindow = options.DuplicateWindow,
                Storage = StreamConfigStorage.File,
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs until cancelled: sets up the stream and buckets, then takes and renews leases, publishing the feeds it holds.
    /// On cancellation each feed stops (its checkpoint saved after the last acknowledged batch), its lease is released
    /// and the relay leaves the members bucket, so the others take over at once rather than after the lease time.
    /// </summary>
    /// <param name="cancellationToken">Stops the relay.</param>
    /// <returns>A task that completes when the relay has stopped.</returns>
    /// <exception cref="NatsException">Setting up the stream or buckets failed; or the connection failed for good
    /// (<see cref="NatsConnectionFailedException"/>: NATS.Net stops reconnecting once the server refuses the credentials
    /// twice in a row), after the feeds were stopped. An outage is not an exception: renewals are retried until the
    /// connection is back.</exception>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await EnsureStreamAsync(_js, _options, cancellationToken).ConfigureAwait(false);
        _leases = await _kv.CreateOrUpdateStoreAsync(new NatsKVConfig(_options.Bucket("leases")) { MaxAge = _options.LeaseTime, History = 1 }, cancellationToken).ConfigureAwait(false);
        _members = await _kv.CreateOrUpdateStoreAsync(new NatsKVConfig(_options.Bucket("members")) { MaxAge = _options.LeaseTime, History = 1 }, cancellationToken).ConfigureAwait(false);
        _checkpoints = await _kv.CreateOrUpdateStoreAsync(new NatsKVConfig(_options.Bucket("checkpoints")) { History = 1 }, cancellationToken).ConfigureAwait(false);
        _publisher = await AckedPublisher.StartAsync(_nats, cancellationToken).ConfigureAwait(false);
        if (_log is not null)
        {
            RelayLog.Started(_log, InstanceId, _feeds.Count, _options.StreamName, _options.LeaseTime);
        }
        TimeSpan every = _options.LeaseTime / 4;
        var watch = new LeaseWatch(_leases, _members, _options.LeaseTime, every, _time);
        try
        {
            string me = NatsNames.Escape(InstanceId);
            long failingSince = 0, saidAt = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                long roundStarted = _time.GetTimestamp();
                try
                {
                    // A round that hangs (a connection that neither answers nor fails) ends by itself: the leases' own
                    // deadlines have stopped their feeds meanwhile, and the next round tries again.
                    using var round = new CancellationTokenSource(_options.LeaseTime / 2, _time);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, round.Token);
                    await BalanceAsync(linked.Token).ConfigureAwait(false);
                    if (failingSince != 0 && _log is not null)
                    {
                        double failed = _time.GetElapsedTime(failingSince).TotalSeconds;
                        RelayLog.LeasesRecovered(_log, InstanceId, failed);
                    }

                    failingSince = 0;
                }
                catch (NatsException) when (_nats.ConnectionState == NatsConnectionState.Failed && !cancellationToken.IsCancellationRequested)
                {
                    // NATS.Net will not reconnect (the server refused the credentials twice): nothing here can recover.
                    throw;
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        break; // stopping: what failed on the way out is no news
                    }

                    // Said when renewals start failing, then every few seconds while they go on failing, and on recovery.
                    long now = _time.GetTimestamp();
                    if (failingSince == 0 || _time.GetElapsedTime(saidAt) >= TimeSpan.FromSeconds(5))
                    {
                        failingSince = failingSince == 0 ? now : failingSince;
                        saidAt = now;
                        if (_log is not null)
                        {
                            string reason = ex is OperationCanceledException ? $"no answer within {(_options.LeaseTime / 2).TotalSeconds:0.#} s" : ex.Message;
                            double failing = _time.GetElapsedTime(failingSince).TotalSeconds;
                            RelayLog.LeasesFailing(_log, InstanceId, reason, failing, every.TotalSeconds);
                        }
                    }
                }

                ReleaseEnded();
                await watch.WaitAsync(roundStarted, _owned.ContainsKey, me, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            await watch.DisposeAsync().ConfigureAwait(false);
            await Task.WhenAll(_owned.Values.Select(o => ReleaseAsync(o, "stopping"))).ConfigureAwait(false);
            try
            {
                await _members.DeleteAsync(NatsNames.Escape(InstanceId), cancellationToken: CancellationToken.None).ConfigureAwait(false);
            }
            catch (NatsException)
            {
                // gone with the connection: its entry expires after the lease time
            }

            await _publisher.DisposeAsync().ConfigureAwait(false);
            if (_log is not null)
            {
                RelayLog.Stopped(_log, InstanceId, Published, Duplicates);
            }
        }
    }

    // One renewal round: announce this relay, renew what it holds, give up what is over its share, take what is free.
    private async Task BalanceAsync(CancellationToken cancellationToken)
    {
        string me = NatsNames.Escape(InstanceId);
        await _members!.PutAsync(me, Encoding.UTF8.GetBytes(InstanceId), Raw, cancellationToken).ConfigureAwait(false);
        var members = new List<string>();
        await foreach (string key in _members.GetKeysAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            members.Add(key);
        }

        if (!members.Contains(me))
        {
            members.Add(me);
        }

        Volatile.Write(ref _memberCount, members.Count);
        int share = (_feeds.Count + members.Count - 1) / members.Count;

        Exception? failed = null;
        foreach (Owned owned in _owned.Values)
        {
            long asked = _time.GetTimestamp(); // the lease runs from when the server wrote it, which is after this
            NatsResult<ulong> renewed = await _leases!.TryUpdateAsync(owned.Feed.Key, Encoding.UTF8.GetBytes(InstanceId), owned.LeaseRevision, Raw, cancellationToken).ConfigureAwait(false);
            if (renewed.Success)
            {
                owned.LeaseRevision = renewed.Value;
                if (!owned.Renewed(asked))
                {
                    // Its deadline passed while the renewal was on its way: it stopped publishing; free the lease now
                    // rather than leave the others waiting for it to lapse.
                    await DeleteLeaseAsync(owned.Feed.Key, renewed.Value).ConfigureAwait(false);
                }
            }
            else if (renewed.Error is NatsKVWrongLastRevisionException or NatsKVKeyNotFoundException or NatsKVKeyDeletedException)
            {
                Lose(owned, "its lease was taken or expired");
            }
            else
            {
                failed ??= renewed.Error; // not renewed: its deadline stands, and the round is reported as failing
            }
        }

        if (failed is not null)
        {
            throw failed;
        }

        // Over the share (a relay joined): hand feeds back, checkpoint saved, for the newcomer to take.
        foreach (Owned owned in _owned.Values.OrderBy(o => o.Feed.Key, StringComparer.Ordinal).Skip(share).ToList())
        {
            await ReleaseAsync(owned, $"rebalancing to {members.Count} relays").ConfigureAwait(false);
        }

        // Under it: take free feeds, each relay trying them in its own order so that they do not all race for the same one.
        if (_owned.Count < share)
        {
            long now = _time.GetTimestamp();
            foreach (RelayFeed feed in _feeds.Values.Where(f => !_owned.ContainsKey(f.Key) && !(_failed.TryGetValue(f.Key, out var failed) && failed.Until > now)).OrderBy(f => Hash(me, f.Key)))
            {
                if (_owned.Count >= share || cancellationToken.IsCancellationRequested)
                {
                    break;
                }

                long asked = _time.GetTimestamp();
                NatsResult<ulong> taken = await _leases!.TryCreateAsync(feed.Key, Encoding.UTF8.GetBytes(InstanceId), Raw, cancellationToken).ConfigureAwait(false);
                if (taken.Success)
                {
                    Start(feed, taken.Value, asked);
                }
            }
        }
    }

    private void ReleaseEnded()
    {
        foreach (Owned owned in _owned.Values)
        {
            if (owned.Loop.IsCompleted && owned.Loop.IsFaulted)
            {
                // The feed ended on its own (a permanent API error such as a revoked token, a checkpoint conflict): let
                // it go, and do not take it again here for a while (1 min, doubling to 30 min), so a feed that cannot run
                // costs a log line now and then, not a request every renewal; another relay may try it meanwhile.
                int failures = _failed.TryGetValue(owned.Feed.Key, out var before) ? before.Failures + 1 : 1;
                TimeSpan pause = Backoff.Delay(failures, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(30));
                _failed[owned.Feed.Key] = (failures, _time.GetTimestamp() + (long)(pause.TotalSeconds * _time.TimestampFrequency));
                _ = ReleaseAsync(owned, $"its feed ended: {owned.Loop.Exception?.GetBaseException().Message}; not taken again here for {pause.TotalMinutes:F0} min");
            }
        }
    }

    private void Start(RelayFeed feed, ulong leaseRevision, long askedAt)
    {
        var owned = new Owned(feed, leaseRevision, askedAt, _options.LeaseTime * 2 / 3, _time);
        _owned[feed.Key] = owned;
        // A lease not renewed for two thirds of its time may be someone else's soon: the feed stops at its deadline, by
        // its own timer, whatever the renewal round is doing (a round can wait on a connection that hangs).
        // (A release stops the feed too: not a loss, its checkpoint is saved on the way out.)
        owned.Stop.Token.Register(() =>
        {
            if (!owned.Released)
            {
                Lose(owned, $"its lease could not be renewed for {_time.GetElapsedTime(owned.RenewedAt).TotalSeconds:F1} s");
            }
        });
        owned.Loop = Task.Run(() => PublishAsync(owned, owned.Stop.Token));
        if (_log is not null)
        {
            RelayLog.Took(_log, InstanceId, feed);
        }
    }

    // Lost (someone else may own it now): stop publishing at once; its checkpoint's compare-and-set keeps it consistent.
    private void Lose(Owned owned, string reason)
    {
        owned.Lost = true; // before the feed stops: its last checkpoint save is not made (see Held)
        if (_owned.TryRemove(owned.Feed.Key, out _))
        {
            if (_log is not null)
            {
                RelayLog.Lost(_log, InstanceId, owned.Feed, reason);
            }

            if (!owned.Stop.IsCancellationRequested)
            {
                owned.Stop.Cancel();
            }
        }
    }

    // Released: stop the feed (its checkpoint saved), then free the lease for another relay.
    private async Task ReleaseAsync(Owned owned, string reason)
    {
        if (!_owned.TryRemove(owned.Feed.Key, out _))
        {
            return;
        }

        owned.Released = true; // before the feed stops: it is not lost, its last checkpoint is saved (see Held)
        await owned.Stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await owned.Loop.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // its failure was logged by the loop
        }

        await DeleteLeaseAsync(owned.Feed.Key, owned.LeaseRevision).ConfigureAwait(false);
        if (_log is not null)
        {
            RelayLog.Released(_log, InstanceId, owned.Feed, reason);
        }
    }

    private async Task DeleteLeaseAsync(string key, ulong revision)
    {
        try
        {
            await _leases!.DeleteAsync(key, new NatsKVDeleteOpts { Revision = revision }).ConfigureAwait(false);
        }
        catch (NatsException)
        {
            // it expires by itself
        }
    }

    // The feed's loop while the lease is held. A checkpoint conflict while this relay holds the lease is a save that
    // landed late from a relay whose lease had lapsed (sent before an outage, delivered after it): this relay goes on
    // from that checkpoint once, rather than give the feed up and leave it stalled; a second conflict ends the feed.
    private async Task PublishAsync(Owned owned, CancellationToken cancellationToken)
    {
        for (int conflicts = 0; ; conflicts++)
        {
            try
            {
                await PublishFromCheckpointAsync(owned, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (CheckpointConflictException) when (conflicts == 0 && !cancellationToken.IsCancellationRequested)
            {
                if (_log is not null)
                {
                    RelayLog.CheckpointOvertaken(_log, InstanceId, owned.Feed);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (_log is not null)
                {
                    RelayLog.FeedEnded(_log, InstanceId, owned.Feed, ex.Message);
                }

                throw;
            }
        }
    }

    private async Task PublishFromCheckpointAsync(Owned owned, CancellationToken cancellationToken)
    {
        RelayFeed def = owned.Feed;
        var store = new JetStreamCheckpointStore(_checkpoints!, def.Key) { MayWrite = () => owned.Held };
        FeedStart start = await ResolveStartAsync(def, cancellationToken).ConfigureAwait(false);
        var api = new EventsApiOptions
        {
            BaseUrl = def.BaseUrl ?? _options.BaseUrl,
            ClientId = def.ClientId,
            AccountId = def.AccountId,
            BrandId = def.BrandId,
            AuthToken = def.AuthToken,
            Logger = _log,
            TimeProvider = _time,
        };
        _options.ConfigureApi?.Invoke(api);
        var options = new FeedOptions { Start = start, Include = def.Include, Exclude = def.Exclude, CheckpointStore = store, Logger = _log, TimeProvider = _time };
        _options.ConfigureFeed?.Invoke(options);
        var feed = new EventFeed(api, options);
        await using (feed.ConfigureAwait(false))
        {
            try
            {
                var subjects = new Subjects($"{_options.SubjectPrefix}.{def.Key}");
                await foreach (IReadOnlyList<IntileryEvent> batch in feed.ReadBatchesAsync(_options.MaxBatchSize, cancellationToken).ConfigureAwait(false))
                {
                    await PublishBatchAsync(def, subjects, batch, cancellationToken).ConfigureAwait(false);
                    _failed.TryRemove(def.Key, out _); // it runs: an earlier failure no longer holds it back
                    if (store.Conflicted)
                    {
                        throw new CheckpointConflictException($"Checkpoint {def.Key} was saved by another relay: this one stops publishing {def}.");
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // stopped: the batch being published, if any, was not taken, so the checkpoint stays before it
            }
        }
    }

    // Every event of the batch acknowledged (new or duplicate) before the feed is asked for the next batch; a failed
    // publish is retried (the eventId makes it idempotent) until it succeeds or the feed is stopped.
    private async Task PublishBatchAsync(RelayFeed def, Subjects subjects, IReadOnlyList<IntileryEvent> batch, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                int duplicates = await _publisher!.PublishAsync(
                    batch,
                    e => (subjects.For(e.EventAction), e.Json, new NatsHeaders { ["Nats-Msg-Id"] = e.EventId, [RelayHeader] = InstanceId }),
                    AckTimeout,
                    cancellationToken).ConfigureAwait(false);
                Interlocked.Add(ref _duplicates, duplicates); // already in the stream: dropped by its duplicate window
                Interlocked.Add(ref _published, batch.Count - duplicates);
                return;
            }
            catch (Exception ex) when (ex is NatsException or TimeoutException && !cancellationToken.IsCancellationRequested)
            {
                TimeSpan delay = Backoff.Delay(attempt, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(5));
                if (_log is not null)
                {
                    RelayLog.PublishRetrying(_log, InstanceId, batch.Count, def, ex.Message, attempt, delay);
                }

                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    // "Now" is fixed by the first relay to own the feed and recorded, so that a takeover before any checkpoint has no gap.
    private async Task<FeedStart> ResolveStartAsync(RelayFeed def, CancellationToken cancellationToken)
    {
        if (def.Start != FeedStart.Now)
        {
            return def.Start;
        }

        string key = def.Key + ".start";
        byte[] now = Encoding.UTF8.GetBytes(_time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture));
        NatsResult<ulong> created = await _checkpoints!.TryCreateAsync(key, now, Raw, cancellationToken).ConfigureAwait(false);
        if (!created.Success)
        {
            NatsKVEntry<byte[]> entry = await _checkpoints.GetEntryAsync(key, serializer: Raw, cancellationToken: cancellationToken).ConfigureAwait(false);
            now = entry.Value ?? now;
        }

        return FeedStart.At(DateTimeOffset.Parse(Encoding.UTF8.GetString(now), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind));
    }

    private static ulong Hash(string a, string b)
    {
        ulong hash = 14695981039346656037;
        foreach (char c in a + "\n" + b)
        {
            hash = (hash ^ c) * 1099511628211;
        }

        return hash;
    }

    // One feed's subjects, {prefix}.{feed key}.{escaped action}, made once per action (a feed has a few dozen; past
    // MaxCached, say a feed whose actions are ids, the rest are made each time). Used by the feed's one publish loop.
    private sealed class Subjects(string feedSubject)
    {
        private const int MaxCached = 1_024;
        private readonly Dictionary<string, string> _byAction = new(StringComparer.Ordinal);

        public string For(string action)
        {
            if (!_byAction.TryGetValue(action, out string? subject))
            {
                subject = $"{feedSubject}.{NatsNames.Escape(action)}"; // the key escapes the feed's parts as a subject does
                if (_byAction.Count < MaxCached)
                {
                    _byAction[action] = subject;
                }
            }

            return subject;
        }
    }

    // A feed this relay holds. Stop is cancelled to stop it, and by itself at the lease's deadline: `hold` (two thirds of
    // the lease) after the last renewal asked for that succeeded.
    private sealed class Owned
    {
        private readonly TimeSpan _hold;
        private readonly TimeProvider _time;
        private bool _lost;
        private bool _released;

        public Owned(RelayFeed feed, ulong leaseRevision, long askedAt, TimeSpan hold, TimeProvider time)
        {
            Feed = feed;
            LeaseRevision = leaseRevision;
            RenewedAt = askedAt;
            _hold = hold;
            _time = time;
            TimeSpan left = hold - time.GetElapsedTime(askedAt);
            Stop = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, time);
        }

        public RelayFeed Feed { get; }

        public ulong LeaseRevision { get; set; }

        /// <summary>When the last successful renewal (or the take) was asked for.</summary>
        public long RenewedAt { get; private set; }

        public CancellationTokenSource Stop { get; }

        public Task Loop { get; set; } = Task.CompletedTask;

        /// <summary>Given up by this relay (stopping, rebalancing, its feed ended): set before the feed is stopped.</summary>
        public bool Released
        {
            get => Volatile.Read(ref _released);
            set => Volatile.Write(ref _released, value);
        }

        /// <summary>Its lease was taken or lapsed (set before the feed is stopped).</summary>
        public bool Lost
        {
            get => Volatile.Read(ref _lost);
            set => Volatile.Write(ref _lost, value);
        }

        /// <summary>
        /// Whether this relay may still write for the feed: not lost, and before the deadline — read from the clock too,
        /// since the deadline's timer may stop the feed a moment before its callback marks the feed lost.
        /// </summary>
        public bool Held => !Lost && _time.GetElapsedTime(RenewedAt) < _hold;

        /// <summary>Moves the deadline on after a renewal asked for at <paramref name="askedAt"/>; false if it had passed.</summary>
        public bool Renewed(long askedAt)
        {
            TimeSpan left = _hold - _time.GetElapsedTime(askedAt);
            if (left <= TimeSpan.Zero || Stop.IsCancellationRequested)
            {
                Stop.Cancel();
                return false;
            }

            RenewedAt = askedAt;
            Stop.CancelAfter(left);
            return !Stop.IsCancellationRequested;
        }
    }
}
