namespace EventStream.Checkpoints;

/// <summary>Keeps a feed's position between runs.</summary>
public interface ICheckpointStore
{
    /// <summary>Loads the saved position, or <see langword="null"/> when there is none.</summary>
    /// <param name="cancellationToken">Cancels the load.</param>
    /// <returns>The checkpoint, or <see langword="null"/>.</returns>
    ValueTask<FeedCheckpoint?> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Saves a position, replacing the previous one.</summary>
    /// <param name="checkpoint">The position.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <returns>A task that completes when it is saved.</returns>
    ValueTask SaveAsync(FeedCheckpoint checkpoint, CancellationToken cancellationToken);
}
