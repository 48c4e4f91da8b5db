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

        byte[] json = await File.ReadAllBytesAsync(Path, cancellationToken).ConfigureAwait(false);
        try
        {
            return FeedCheckpoint.FromUtf8Json(json);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"Checkpoint file {Path} is {ex.Message}", ex);
        }
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
[JsonSerializable(typeof(SeenEvent[]))]
internal sealed partial class CheckpointJson : JsonSerializerContext;
