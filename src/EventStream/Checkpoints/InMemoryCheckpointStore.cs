namespace EventStream.Checkpoints;

/// <summary>Keeps the position in memory: enough to restart a feed within one process.</summary>
public sealed class InMemoryCheckpointStore : ICheckpointStore
{
    private volatile FeedCheckpoint? _checkpoint;

    /// <summary>The last saved position.</summary>
    public FeedCheckpoint? Checkpoint => _checkpoint;

    /// <inheritdoc />
    public ValueTask<FeedCheckpoint?> LoadAsync(CancellationToken cancellationToken) => ValueTask.FromResult(_checkpoint);

    /// <inheritdoc />
    public ValueTask SaveAsync(FeedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        _checkpoint = checkpoint;
        return ValueTask.CompletedTask;
    }
}
