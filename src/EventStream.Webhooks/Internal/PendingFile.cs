namespace EventStream.Webhooks.Internal;

/// <summary>
/// The events routes still held when a checkpoint was saved past them (<see cref="WebhookForwarderOptions.PendingPath"/>),
/// as dead-letter records with reason <c>pending</c>, one per line: replaced whole each time (written beside, flushed to
/// disk, then moved over the old one, so a crash leaves the old file or the new, never half of one), deleted when empty,
/// and read when a forwarder starts.
/// </summary>
internal sealed class PendingFile(string path)
{
    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public async Task WriteAsync(IReadOnlyList<WebhookDeadLetter> pending)
    {
        if (pending.Count == 0)
        {
            File.Delete(Path);
            return;
        }

        string next = Path + ".next";
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        await using (var file = new FileStream(next, FileMode.Create, FileAccess.Write, FileShare.None, 65536, FileOptions.None))
        {
            foreach (WebhookDeadLetter letter in pending)
            {
                await file.WriteAsync(letter.ToUtf8Json()).ConfigureAwait(false);
                file.WriteByte((byte)'\n');
            }

            await file.FlushAsync().ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }

        File.Move(next, Path, overwrite: true);
    }

    public async Task<List<WebhookDeadLetter>> ReadAsync(CancellationToken cancellationToken)
    {
        var pending = new List<WebhookDeadLetter>();
        if (File.Exists(Path))
        {
            await foreach (WebhookDeadLetter letter in NdjsonDeadLetterStore.ReadAsync(Path, cancellationToken).ConfigureAwait(false))
            {
                pending.Add(letter);
            }
        }

        return pending;
    }
}
