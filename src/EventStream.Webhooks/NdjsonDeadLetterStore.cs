using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EventStream.Webhooks;

/// <summary>
/// Dead letters as NDJSON, one object per line appended to a file and flushed to disk before the event counts as
/// handled; <see cref="ReadAsync"/> reads them back for <see cref="WebhookForwarder.ReplayAsync"/>.
/// </summary>
public sealed class NdjsonDeadLetterStore : IWebhookDeadLetterStore, IAsyncDisposable
{
    private readonly SemaphoreSlim _lock = new(1, 1);
    private FileStream? _file;

    /// <summary>A store appending to <paramref name="path"/> (created when the first dead letter comes).</summary>
    /// <param name="path">The file.</param>
    public NdjsonDeadLetterStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Path = System.IO.Path.GetFullPath(path);
    }

    /// <summary>The file's full path.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public async ValueTask AddAsync(WebhookDeadLetter deadLetter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        byte[] line = deadLetter.ToUtf8Json();
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_file is null)
            {
                Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
                _file = new FileStream(Path, FileMode.Append, FileAccess.Write, FileShare.Read, 4096, FileOptions.None);
            }

            await _file.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            _file.WriteByte((byte)'\n');
            await _file.FlushAsync(cancellationToken).ConfigureAwait(false);
            _file.Flush(flushToDisk: true);
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Reads the dead letters of a file written by this store.</summary>
    /// <param name="path">The file.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The dead letters, in the order written.</returns>
    /// <exception cref="InvalidDataException">A line is not a dead letter (its line number is given).</exception>
    public static async IAsyncEnumerable<WebhookDeadLetter> ReadAsync(string path, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var reader = new StreamReader(path);
        int number = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            number++;
            if (line.Length == 0)
            {
                continue;
            }

            WebhookDeadLetter letter;
            try
            {
                letter = WebhookDeadLetter.FromUtf8Json(System.Text.Encoding.UTF8.GetBytes(line));
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"{path}:{number} is not a dead letter: {ex.Message}", ex);
            }

            yield return letter;
        }
    }

    /// <summary>Closes the file.</summary>
    /// <returns>A task that completes when closed.</returns>
    public async ValueTask DisposeAsync()
    {
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_file is not null)
            {
                await _file.DisposeAsync().ConfigureAwait(false);
                _file = null;
            }
        }
        finally
        {
            _lock.Release();
        }
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(WebhookDeadLetter))]
internal sealed partial class DeadLetterJson : JsonSerializerContext;
