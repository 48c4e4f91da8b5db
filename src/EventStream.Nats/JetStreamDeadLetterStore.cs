using System.Globalization;
using System.Runtime.CompilerServices;
using EventStream.Webhooks;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace EventStream.Nats;

/// <summary>
/// Webhook dead letters in a JetStream stream (file storage), one message per dead letter on
/// <c>{subjectPrefix}.{route}</c>, its body <see cref="WebhookDeadLetter.ToUtf8Json"/>: kept by the server rather than
/// on the forwarder's disk, readable by any consumer, and replayed with <see cref="ReplayAsync"/>. A dead letter counts
/// as stored (and its event as handled) once the server acknowledged it.
/// </summary>
/// <example>
/// <code>
/// var store = await JetStreamDeadLetterStore.CreateAsync(new NatsJSContext(nats));
/// await using var forwarder = new WebhookForwarder(feed, new WebhookForwarderOptions { Routes = routes, DeadLetters = store });
/// </code>
/// </example>
public sealed class JetStreamDeadLetterStore : IWebhookDeadLetterStore
{
    /// <summary>The stream's name unless another is given.</summary>
    public const string DefaultStreamName = "WEBHOOK_DEAD_LETTERS";

    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;
    private readonly INatsJSContext _js;
    private readonly string _subjectPrefix;

    private JetStreamDeadLetterStore(INatsJSContext js, string streamName, string subjectPrefix)
    {
        _js = js;
        StreamName = streamName;
        _subjectPrefix = subjectPrefix;
    }

    /// <summary>The stream.</summary>
    public string StreamName { get; }

    /// <summary>
    /// How long an add may wait for the server's acknowledgement (NATS down: NATS.Net holds the publish until it is
    /// back). Past it the add fails, the forwarder says so and tries again, rather than a worker waiting unseen.
    /// </summary>
    internal TimeSpan AckTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Creates the stream if it does not exist (file storage, subjects <c>{subjectPrefix}.&gt;</c>), and the store.</summary>
    /// <param name="js">JetStream.</param>
    /// <param name="streamName">The stream (<see cref="DefaultStreamName"/> by default).</param>
    /// <param name="subjectPrefix">Subjects' first tokens (by default the stream's name, lower-cased).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException">The stream name or subject prefix is not one NATS accepts.</exception>
    /// <exception cref="NatsJSApiException">The server refused the stream (another stream holds the subjects, say).</exception>
    public static async Task<JetStreamDeadLetterStore> CreateAsync(INatsJSContext js, string streamName = DefaultStreamName, string? subjectPrefix = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        if (string.IsNullOrEmpty(streamName) || streamName.Any(c => c is '.' or '*' or '>' or '/' or '\\' || char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ArgumentException($"'{streamName}' is not a stream name (no '.', '*', '>', '/', '\\' or spaces).", nameof(streamName));
        }

        subjectPrefix ??= streamName.ToLowerInvariant();
        if (subjectPrefix.Length == 0 || subjectPrefix.Split('.').Any(t => t.Length == 0 || t.Any(c => c is '*' or '>' || char.IsWhiteSpace(c) || char.IsControl(c))))
        {
            throw new ArgumentException($"'{subjectPrefix}' is not a subject prefix (dot-separated tokens, no wildcards or spaces).", nameof(subjectPrefix));
        }

        await js.CreateOrUpdateStreamAsync(new StreamConfig(streamName, [$"{subjectPrefix}.>"]) { Storage = StreamConfigStorage.File }, cancellationToken).ConfigureAwait(false);
        return new JetStreamDeadLetterStore(js, streamName, subjectPrefix);
    }

    /// <inheritdoc />
    /// <exception cref="NatsJSException">The server did not store it (the caller keeps the event and tries again).</exception>
    /// <exception cref="TimeoutException">No acknowledgement within 10 s (NATS unreachable, say).</exception>
    public ValueTask AddAsync(WebhookDeadLetter deadLetter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deadLetter);
        return AddAsync(deadLetter, "", cancellationToken);
    }

    private async ValueTask AddAsync(WebhookDeadLetter deadLetter, string idSuffix, CancellationToken cancellationToken)
    {
        // The id makes a publish that is tried again (no ack seen) idempotent; a later dead letter of the same event is
        // another message (its time differs).
        string id = $"{deadLetter.Route}/{deadLetter.EventId}/{deadLetter.DeadLetteredAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}{idSuffix}";
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AckTimeout);
        PubAckResponse ack;
        try
        {
            ack = await _js.PublishAsync(
                $"{_subjectPrefix}.{NatsNames.Escape(deadLetter.Route)}",
                deadLetter.ToUtf8Json(),
                Raw,
                new NatsJSPubOpts { MsgId = id },
                cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"JetStream stream {StreamName} did not acknowledge the dead letter within {AckTimeout.TotalSeconds:0.#} s", ex);
        }

        if (!ack.Duplicate)
        {
            ack.EnsureSuccess(); // a duplicate is stored already
        }
    }

    /// <summary>The dead letters in the stream now, oldest first (those added while reading are left for later).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The dead letters.</returns>
    /// <exception cref="InvalidDataException">A message is not a dead letter (its stream sequence is given).</exception>
    public async IAsyncEnumerable<WebhookDeadLetter> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach ((WebhookDeadLetter letter, _) in ReadWithSequenceAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return letter;
        }
    }

    /// <summary>
    /// Sends the dead letters in the stream now again through <paramref name="forwarder"/>
    /// (<see cref="WebhookForwarder.ReplayAsync"/>), then removes them from the stream: those that fail again are dead
    /// letters anew (in the forwarder's store: this one, if it was given this one), and those whose route the forwarder
    /// does not have are stored again, so none is lost. If the replay stops part-way, nothing is removed, and a replay
    /// after sends them again (with their <c>webhook-id</c>, so a receiver drops the repeats).
    /// </summary>
    /// <param name="forwarder">A forwarder with the routes (made with <see cref="WebhookForwarder(WebhookForwarderOptions)"/>).</param>
    /// <param name="cancellationToken">Stops the replay.</param>
    /// <returns>Dead letters replayed, and those kept because their route is not the forwarder's.</returns>
    public async Task<(int Replayed, int UnknownRoute)> ReplayAsync(WebhookForwarder forwarder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(forwarder);
        var routes = new HashSet<string>(forwarder.Routes.Select(r => r.Name), StringComparer.Ordinal);
        var unknown = new List<(WebhookDeadLetter Letter, ulong Sequence)>();
        ulong last = 0;

        async IAsyncEnumerable<WebhookDeadLetter> Known([EnumeratorCancellation] CancellationToken ct = default)
        {
            await foreach ((WebhookDeadLetter letter, ulong sequence) in ReadWithSequenceAsync(ct).ConfigureAwait(false))
            {
                last = sequence;
                if (routes.Contains(letter.Route))
                {
                    yield return letter;
                }
                else
                {
                    unknown.Add((letter, sequence));
                }
            }
        }

        (int replayed, _) = await forwarder.ReplayAsync(Known(cancellationToken), cancellationToken).ConfigureAwait(false);
        foreach ((WebhookDeadLetter letter, ulong sequence) in unknown)
        {
            // stored again as they are, under an id of their own (the first one may be inside the duplicate window)
            await AddAsync(letter, $"/kept-{sequence.ToString(CultureInfo.InvariantCulture)}", cancellationToken).ConfigureAwait(false);
        }

        if (last > 0)
        {
            INatsJSStream stream = await _js.GetStreamAsync(StreamName, cancellationToken: cancellationToken).ConfigureAwait(false);
            await stream.PurgeAsync(new StreamPurgeRequest { Seq = last + 1 }, cancellationToken).ConfigureAwait(false);
        }

        return (replayed, unknown.Count);
    }

    private async IAsyncEnumerable<(WebhookDeadLetter Letter, ulong Sequence)> ReadWithSequenceAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        INatsJSStream stream = await _js.GetStreamAsync(StreamName, cancellationToken: cancellationToken).ConfigureAwait(false);
        ulong last = stream.Info.State.LastSeq;
        if (stream.Info.State.Messages == 0)
        {
            yield break;
        }

        INatsJSConsumer consumer = await _js.CreateOrderedConsumerAsync(StreamName, new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.All }, cancellationToken).ConfigureAwait(false);
        await foreach (NatsJSMsg<byte[]> msg in consumer.ConsumeAsync(Raw, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            ulong sequence = msg.Metadata?.Sequence.Stream ?? 0;
            WebhookDeadLetter letter;
            try
            {
                letter = WebhookDeadLetter.FromUtf8Json(msg.Data ?? []);
            }
            catch (InvalidDataException ex)
            {
                throw new InvalidDataException($"Message {sequence} of stream {StreamName} is not a dead letter: {ex.Message}", ex);
            }

            yield return (letter, sequence);
            if (sequence >= last)
            {
                yield break;
            }
        }
    }
}
