using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace EventStream.Nats;

/// <summary>
/// JetStream publishing in batches, every message acknowledged. A JetStream publish is a core publish whose reply subject
/// gets the server's acknowledgement; here every message of every batch replies to one inbox subscription
/// (<c>{inbox}.{batch}.{index}</c>), and one loop matches the acknowledgements to their batch, so a message costs a core
/// publish and the reading of its acknowledgement — not the task, timeout timer and reply registration that
/// <see cref="INatsJSContext.PublishAsync{T}"/> spends on each (the relay's publishing CPU per event, measured in
/// RESULTS.md). A batch completes when each of its messages has been acknowledged once, as new or as a duplicate.
/// </summary>
internal sealed class AckedPublisher : IAsyncDisposable
{
    private static readonly NatsRawSerializer<ReadOnlyMemory<byte>> Raw = NatsRawSerializer<ReadOnlyMemory<byte>>.Default;
    private readonly INatsConnection _nats;
    private readonly INatsSub<ReadOnlyMemory<byte>> _acks;
    private readonly string _inbox;
    private readonly ConcurrentDictionary<long, Batch> _batches = new();
    private readonly Task _loop;
    private long _lastBatch;

    private AckedPublisher(INatsConnection nats, INatsSub<ReadOnlyMemory<byte>> acks, string inbox)
    {
        _nats = nats;
        _acks = acks;
        _inbox = inbox;
        _loop = Task.Run(ReadAcksAsync);
    }

    /// <summary>Subscribes to a fresh inbox for the acknowledgements.</summary>
    public static async Task<AckedPublisher> StartAsync(INatsConnection nats, CancellationToken cancellationToken)
    {
        // Under the connection's inbox prefix (what permissions allow replies on) but not under the connection's own
        // inbox, whose subscriptions NATS.Net routes through one reply-per-subject subscription that takes no wildcard.
        string inbox = $"{nats.Opts.InboxPrefix}.{Guid.NewGuid():N}";

        // The subscription waits rather than drops when its buffer is full: a dropped acknowledgement would fail its batch.
        var opts = new NatsSubOpts { ChannelOpts = new NatsSubChannelOpts { Capacity = 4_096, FullMode = BoundedChannelFullMode.Wait } };
        INatsSub<ReadOnlyMemory<byte>> acks = await nats.SubscribeCoreAsync($"{inbox}.>", serializer: Raw, opts: opts, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new AckedPublisher(nats, acks, inbox);
    }

    /// <summary>
    /// Publishes a message for each of <paramref name="items"/> (<paramref name="message"/> makes it) and waits until the server has
    /// acknowledged every one, or <paramref name="timeout"/> passes.
    /// </summary>
    /// <returns>How many of them the stream already held (dropped by its duplicate window).</returns>
    /// <exception cref="TimeoutException">Not every message was acknowledged in time (lost in a reconnect, say): publish the batch again.</exception>
    /// <exception cref="NatsJSException">The server refused a message (the first refusal's description).</exception>
    public async Task<int> PublishAsync<T>(IReadOnlyList<T> items, Func<T, (string Subject, ReadOnlyMemory<byte> Data, NatsHeaders Headers)> message, TimeSpan timeout, CancellationToken cancellationToken)
    {
        long id = Interlocked.Increment(ref _lastBatch);
        var batch = new Batch(items.Count);
        _batches[id] = batch;
        try
        {
            string prefix = $"{_inbox}.{id.ToString(CultureInfo.InvariantCulture)}.";
            for (int i = 0; i < items.Count; i++)
            {
                (string subject, ReadOnlyMemory<byte> data, NatsHeaders headers) = message(items[i]);
                await _nats.PublishAsync(subject, data, headers, prefix + i.ToString(CultureInfo.InvariantCulture), Raw, cancellationToken: cancellationToken).ConfigureAwait(false);
            }

            try
            {
                await batch.Done.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"{Volatile.Read(ref batch.Remaining)} of {items.Count} messages were not acknowledged within {timeout.TotalSeconds:0.#} s.");
            }

            return batch.Refusal is { } refusal ? throw new NatsJSException(refusal) : batch.Duplicates;
        }
        finally
        {
            _batches.TryRemove(id, out _); // late acknowledgements of a batch given up are ignored
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _acks.DisposeAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
    }

    private async Task ReadAcksAsync()
    {
        try
        {
            await foreach (NatsMsg<ReadOnlyMemory<byte>> msg in _acks.Msgs.ReadAllAsync().ConfigureAwait(false))
            {
                if (TryParseReply(msg.Subject, out long id, out int index) && _batches.TryGetValue(id, out Batch? batch))
                {
                    bool duplicate = false;
                    string? refusal = msg.HasNoResponders ? "no stream takes the subject (no responders)" : Parse(msg.Data.Span, out duplicate);
                    batch.Acknowledge(index, refusal, duplicate);
                }
            }
        }
        catch (ChannelClosedException)
        {
            // disposed
        }
    }

    private bool TryParseReply(string subject, out long id, out int index)
    {
        id = 0;
        index = 0;
        if (subject.Length <= _inbox.Length + 1 || !subject.StartsWith(_inbox, StringComparison.Ordinal))
        {
            return false;
        }

        ReadOnlySpan<char> rest = subject.AsSpan(_inbox.Length + 1);
        int dot = rest.IndexOf('.');
        return dot > 0
            && long.TryParse(rest[..dot], NumberStyles.None, CultureInfo.InvariantCulture, out id)
            && int.TryParse(rest[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out index);
    }

    // A PubAck: {"stream":"INTILERY","seq":42,"duplicate":true} or {"error":{"code":503,"err_code":10077,"description":"…"}}.
    // Returns the refusal's description, or null when the message is in the stream.
    private static string? Parse(ReadOnlySpan<byte> json, out bool duplicate)
    {
        duplicate = false;
        if (json.IsEmpty)
        {
            return "an empty acknowledgement";
        }

        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return "an acknowledgement that is not a JSON object";
            }

            string? refusal = null;
            bool stored = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("duplicate"u8))
                {
                    reader.Read();
                    duplicate = reader.TokenType == JsonTokenType.True;
                }
                else if (reader.ValueTextEquals("seq"u8))
                {
                    reader.Read();
                    stored = reader.TokenType == JsonTokenType.Number;
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    refusal = ReadError(ref reader);
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }

            return refusal ?? (stored ? null : "an acknowledgement without a sequence number");
        }
        catch (JsonException ex)
        {
            return $"an acknowledgement that is not JSON ({ex.Message})";
        }
    }

    private static string ReadError(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return "refused";
        }

        string description = "refused";
        int code = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("description"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
            {
                description = reader.GetString()!;
            }
            else if (reader.ValueTextEquals("code"u8) && reader.Read() && reader.TokenType == JsonTokenType.Number)
            {
                code = reader.GetInt32();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return code == 0 ? description : $"{description} (code {code})";
    }

    private sealed class Batch(int count)
    {
        private readonly bool[] _acknowledged = new bool[count];
        public int Remaining = count;
        public int Duplicates;
        public string? Refusal;

        public TaskCompletionSource Done { get; } = count == 0 ? Completed() : new(TaskCreationOptions.RunContinuationsAsynchronously);

        // Called from the one acknowledgement loop only; a repeated acknowledgement of one message counts once.
        public void Acknowledge(int index, string? refusal, bool duplicate)
        {
            if ((uint)index >= (uint)_acknowledged.Length || _acknowledged[index])
            {
                return;
            }

            _acknowledged[index] = true;
            if (refusal is not null)
            {
                Refusal ??= refusal;
            }
            else if (duplicate)
            {
                Duplicates++;
            }

            if (Interlocked.Decrement(ref Remaining) == 0)
            {
                Done.TrySetResult();
            }
        }

        private static TaskCompletionSource Completed()
        {
            var done = new TaskCompletionSource();
            done.SetResult();
            return done;
        }
    }
}
