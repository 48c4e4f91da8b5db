using EventStream.Checkpoints;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;

namespace EventStream.Nats;

/// <summary>
/// Keeps a feed's checkpoint in a JetStream key-value bucket, saved with compare-and-set on the entry's revision: a save
/// succeeds only if nobody saved since this store loaded or last saved, so two instances can never both advance one
/// feed — the second to save gets a <see cref="CheckpointConflictException"/> (and <see cref="Conflicted"/> turns true).
/// </summary>
public sealed class JetStreamCheckpointStore : ICheckpointStore
{
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;
    private readonly INatsKVStore _bucket;
    private ulong _revision;
    private volatile bool _conflicted;

    /// <summary>Creates a store for one key of a bucket.</summary>
    /// <param name="bucket">The bucket (see <see cref="NatsRelay"/> for the one the relay uses).</param>
    /// <param name="key">The feed's key, e.g. <see cref="NatsNames.FeedKey"/>.</param>
    public JetStreamCheckpointStore(INatsKVStore bucket, string key)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        ArgumentException.ThrowIfNullOrEmpty(key);
        _bucket = bucket;
        Key = key;
    }

    /// <summary>The key.</summary>
    public string Key { get; }

    /// <summary>The revision this store last loaded or saved (0: none yet).</summary>
    public ulong Revision => Interlocked.Read(ref _revision);

    /// <summary>Whether a save found that another instance had saved meanwhile.</summary>
    public bool Conflicted => _conflicted;

    // The relay's lease on the feed, asked before each save: a relay whose lease lapsed writes nothing more (its last
    // save, when the feed stops, would otherwise land after the next owner loaded the checkpoint, and end that feed).
    internal Func<bool>? MayWrite { get; init; }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The entry is not a checkpoint.</exception>
    public async ValueTask<FeedCheckpoint?> LoadAsync(CancellationToken cancellationToken)
    {
        NatsResult<NatsKVEntry<byte[]>> entry = await _bucket.TryGetEntryAsync(Key, serializer: Raw, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!entry.Success)
        {
            if (entry.Error is NatsKVKeyNotFoundException or NatsKVKeyDeletedException)
            {
                Interlocked.Exchange(ref _revision, 0);
                return null;
            }

            throw entry.Error;
        }

        Interlocked.Exchange(ref _revision, entry.Value.Revision);
        if (entry.Value.Value is not { Length: > 0 } json)
        {
            return null;
        }

        try
        {
            return FeedCheckpoint.FromUtf8Json(json);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"Checkpoint {Key} in bucket {_bucket.Bucket} is {ex.Message}", ex);
        }
    }

    /// <inheritdoc />
    /// <exception cref="CheckpointConflictException">Another instance saved this key since this store loaded or saved it.</exception>
    public async ValueTask SaveAsync(FeedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        if (MayWrite?.Invoke() == false)
        {
            throw new CheckpointConflictException($"Checkpoint {Key} not saved: this relay's lease on the feed lapsed, so another may own it now; the next owner goes on from the last checkpoint saved.");
        }

        byte[] json = checkpoint.ToUtf8Json();
        ulong revision = Revision;
        NatsResult<ulong> saved = revision == 0
            ? await _bucket.TryCreateAsync(Key, json, Raw, cancellationToken).ConfigureAwait(false)
            : await _bucket.TryUpdateAsync(Key, json, revision, Raw, cancellationToken).ConfigureAwait(false);
        if (saved.Success)
        {
            Interlocked.Exchange(ref _revision, saved.Value);
            return;
        }

        if (saved.Error is NatsKVCreateException or NatsKVWrongLastRevisionException)
        {
            _conflicted = true;
            throw new CheckpointConflictException($"Checkpoint {Key} was saved by another instance since revision {revision}: this instance no longer owns the feed.", saved.Error);
        }

        throw saved.Error;
    }
}
