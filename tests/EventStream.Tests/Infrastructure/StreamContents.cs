using EventStream.Simulator;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace EventStream.Tests.Infrastructure;

/// <summary>A message as stored in a JetStream stream: its subject, <c>Nats-Msg-Id</c>, payload, and the relay that published it.</summary>
internal sealed record StoredMessage(string Subject, string? MsgId, byte[] Data, string? Relay = null);

/// <summary>Reads what a JetStream stream holds, to compare with the simulator's own record.</summary>
internal static class StreamContents
{
    /// <summary>Everything in the stream, in order.</summary>
    public static async Task<List<StoredMessage>> ReadAsync(NatsConnection nats, string stream = "INTILERY")
    {
        var js = new NatsJSContext(nats);
        long count = (long)(await js.GetStreamAsync(stream)).Info.State.Messages;
        var all = new List<StoredMessage>();
        if (count == 0)
        {
            return all;
        }

        INatsJSConsumer reader = await js.CreateOrderedConsumerAsync(stream);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (NatsJSMsg<byte[]> m in reader.ConsumeAsync(NatsRawSerializer<byte[]>.Default, cancellationToken: timeout.Token))
        {
            all.Add(new StoredMessage(
                m.Subject,
                m.Headers?["Nats-Msg-Id"].ToString(),
                m.Data ?? [],
                m.Headers is { } h && h.TryGetValue(EventStream.Nats.NatsRelay.RelayHeader, out var relay) ? relay.ToString() : null));
            if (all.Count == count)
            {
                break;
            }
        }

        return all;
    }

    /// <summary>
    /// Waits (up to <paramref name="within"/>) until every event the simulator received up to <paramref name="to"/> is in
    /// the stream — the relays have caught up — instead of sleeping for a guessed time. Returns either way: the caller
    /// asserts, with its diagnostics.
    /// </summary>
    public static async Task WaitUntilHoldsAsync(NatsConnection nats, IntilerySimulator simulator, DateTimeOffset to, TimeSpan within)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < within)
        {
            var ids = (await ReadAsync(nats)).Select(m => m.MsgId).ToHashSet();
            if (simulator.Snapshot().All(e => e.ReceivedTime > to || ids.Contains(e.EventId)))
            {
                return;
            }

            await Task.Delay(500);
        }
    }
}
