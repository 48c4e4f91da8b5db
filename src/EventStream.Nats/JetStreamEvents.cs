using System.Reactive.Linq;
using System.Runtime.CompilerServices;
using EventStream.Parsing;
using EventStream.Typed;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace EventStream.Nats;

/// <summary>
/// Reads the events a <see cref="NatsRelay"/> published, from another process: a durable consumer on the stream, each
/// message decoded (typed with a catalog) — so a dashboard or a service subscribes to NATS instead of polling the API.
/// </summary>
public static class JetStreamEvents
{
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    /// <summary>
    /// Reads the stream through a durable consumer (created if absent): every event from where that consumer left off.
    /// A message is acknowledged when the next event is asked for, so a reader that crashes gets it again (at least once;
    /// the eventId tells a repeat). Messages are fetched ahead (up to 100); those a reader that stopped had fetched but
    /// not taken are delivered again after <paramref name="ackWait"/>.
    /// </summary>
    /// <param name="js">JetStream.</param>
    /// <param name="stream">The stream, e.g. <see cref="NatsRelayOptions.StreamName"/>.</param>
    /// <param name="consumer">The durable consumer's name: readers with the same name share its position (and its work).</param>
    /// <param name="filterSubject">Which subjects, e.g. <c>intilery.acme.*.*.order_completed</c> (see <see cref="NatsNames.Subject"/>); all by default.</param>
    /// <param name="catalog">A catalog to decode typed events with.</param>
    /// <param name="ackWait">How long a message delivered but not acknowledged waits before it is delivered again; default 30 seconds.</param>
    /// <param name="cancellationToken">Ends the reading.</param>
    /// <returns>The events.</returns>
    public static async IAsyncEnumerable<IntileryEvent> ReadAllAsync(
        INatsJSContext js,
        string stream,
        string consumer,
        string? filterSubject = null,
        EventCatalog? catalog = null,
        TimeSpan? ackWait = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentException.ThrowIfNullOrEmpty(consumer);
        var config = new ConsumerConfig(consumer)
        {
            DurableName = consumer,
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            FilterSubject = filterSubject,
            AckWait = ackWait ?? TimeSpan.FromSeconds(30),
        };
        INatsJSConsumer reader = await js.CreateOrUpdateConsumerAsync(stream, config, cancellationToken).ConfigureAwait(false);
        await foreach (NatsJSMsg<byte[]> message in reader.ConsumeAsync(Raw, new NatsJSConsumeOpts { MaxMsgs = 100 }, cancellationToken).ConfigureAwait(false))
        {
            foreach (IntileryEvent e in NdjsonEvents.Read(message.Data ?? [], catalog))
            {
                yield return e;
            }

            await message.AckAsync(cancellationToken: cancellationToken).ConfigureAwait(false); // taken: the next was asked for
        }
    }

    /// <summary>The same as a hot-when-subscribed observable: each subscription reads through the durable consumer.</summary>
    /// <param name="js">JetStream.</param>
    /// <param name="stream">The stream.</param>
    /// <param name="consumer">The durable consumer's name.</param>
    /// <param name="filterSubject">Which subjects; all by default.</param>
    /// <param name="catalog">A catalog to decode typed events with.</param>
    /// <returns>The events; a message is acknowledged once the observer has returned from its event.</returns>
    public static IObservable<IntileryEvent> Observe(INatsJSContext js, string stream, string consumer, string? filterSubject = null, EventCatalog? catalog = null)
        => Observable.Create<IntileryEvent>(async (observer, cancellationToken) =>
        {
            try
            {
                await foreach (IntileryEvent e in ReadAllAsync(js, stream, consumer, filterSubject, catalog, cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    observer.OnNext(e);
                }

                observer.OnCompleted();
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
        });
}
