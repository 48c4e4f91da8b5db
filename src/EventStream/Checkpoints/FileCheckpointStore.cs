using System.Text.Json;
using System.Text.Json.Serialization;

namespace EventStream.Checkpoints;

/// <summary>Keeps the position in a JSON file, written atomically (a temporary file renamed over the old one).</summary>
public sealed class FileCheckpointStore : ICheckpointStore
{
    /// <summary>Creates a store for a file; the file need not exist yet.</summary>
    /// <param name="path">The file's path.</param>
    public FileCheckpointStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The file exists but is not a checkpoint.</exception>
    public async ValueTask<FeedCheckpoint?> LoadAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        try
        {
            FileStream stream = File.OpenRead(Path);
            await using (stream.ConfigureAwait(false))
            {
                FeedCheckpoint checkpoint = await JsonSerializer.DeserializeAsync(stream, CheckpointJson.Default.FeedCheckpoint, cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidDataException($"Checkpoint file {Path} is empty.");
                return Validated(checkpoint);
            }
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"Checkpoint file {Path} is not a valid checkpoint: {ex.Message}", ex);
        }
    }

    // JSON that deserializes is not yet a checkpoint: members may be null or missing (found by fuzzing the loader).
    private FeedCheckpoint Validated(FeedCheckpoint checkpoint)
    {
        string? problem = checkpoint.Query is null ? "it has no query"
            : checkpoint.Seen is null ? "it has no seen list"
            : checkpoint.Seen.Any(s => s is null || string.IsNullOrEmpty(s.EventId)) ? "a seen event has no id"
            : null;
        return problem is null ? checkpoint : throw new InvalidDataException($"Checkpoint file {Path} is not a valid checkpoint: {problem}.");
    }

    /// <inheritdoc />
    public async ValueTask SaveAsync(FeedCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        string directory = System.IO.Path.GetDirectoryName(Path)!;
        Directory.CreateDirectory(directory);
        string temp = System.IO.Path.Combine(directory, $".{System.IO.Path.GetFileName(Path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            FileStream stream = new(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.WriteThrough);
            await using (stream.ConfigureAwait(false))
            {
                await JsonSerializer.SerializeAsync(stream, checkpoint, CheckpointJson.Default.FeedCheckpoint, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, Path, overwrite: true);
        }
        finally
        {
            File.Delete(temp); // a no-op once renamed
        }
    }
}

[JsonSourceGenerationOptions(WriteIndented = false, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(FeedCheckpoint))]
internal sealed partial class CheckpointJson : JsonSerializerContext;
