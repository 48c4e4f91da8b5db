using EventStream.Nats;
using EventStream.Tests.Infrastructure;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace EventStream.Tests.Nats;

/// <summary>The relay's batch publisher against a real nats-server: acknowledgements matched to their batch, duplicates
/// counted, refusals and silence surfaced.</summary>
public class AckedPublisherTests
{
    private static (string Subject, ReadOnlyMemory<byte> Data, NatsHeaders Headers) Message(int i, string subject = "t.x", NatsHeaders? extra = null)
    {
        var headers = new NatsHeaders { ["Nats-Msg-Id"] = $"m{i}" };
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> h in extra ?? [])
        {
            headers[h.Key] = h.Value;
        }

        return (subject, System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"), headers);
    }

    [Fact]
    public async Task EveryMessageAcknowledged_DuplicatesCounted_TheStreamHoldsEachOnce()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        await using NatsConnection nats = server.Connect();
        var js = new NatsJSContext(nats);
        await js.CreateStreamAsync(new StreamConfig("T", ["t.>"]) { DuplicateWindow = TimeSpan.FromMinutes(1) });
        await using AckedPublisher publisher = await AckedPublisher.StartAsync(nats, CancellationToken.None);

        int[] first = [.. Enumerable.Range(0, 700)];
        int[] second = [.. Enumerable.Range(500, 700)]; // 200 again, 500 new
        Assert.Equal(0, await publisher.PublishAsync(first, i => Message(i), TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal(200, await publisher.PublishAsync(second, i => Message(i), TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal(0, await publisher.PublishAsync(Array.Empty<int>(), i => Message(i), TimeSpan.FromSeconds(10), CancellationToken.None));

        StreamInfo info = (await js.GetStreamAsync("T")).Info;
        Assert.Equal(1_200L, info.State.Messages);
    }

    [Fact]
    public async Task ConcurrentBatches_EachGetsItsOwnAcknowledgements()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        await using NatsConnection nats = server.Connect();
        var js = new NatsJSContext(nats);
        await js.CreateStreamAsync(new StreamConfig("T", ["t.>"]) { DuplicateWindow = TimeSpan.FromMinutes(1) });
        await using AckedPublisher publisher = await AckedPublisher.StartAsync(nats, CancellationToken.None);

        // Eight batches at once, in pairs of the same ids (on their own subjects).
        int[] duplicates = await Task.WhenAll(Enumerable.Range(0, 8).Select(b => Task.Run(
            () => publisher.PublishAsync([.. Enumerable.Range(b / 2 * 1_000, 500)], i => Message(i, $"t.b{b}"), TimeSpan.FromSeconds(20), CancellationToken.None))));

        Assert.Equal(2_000L, (await js.GetStreamAsync("T")).Info.State.Messages);
        Assert.Equal(2_000, duplicates.Sum()); // each id published twice: one of the two is a duplicate
    }

    [Fact]
    public async Task ARefusal_ThrowsWithTheServersReason()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        await using NatsConnection nats = server.Connect();
        var js = new NatsJSContext(nats);
        await js.CreateStreamAsync(new StreamConfig("T", ["t.>"]));
        await using AckedPublisher publisher = await AckedPublisher.StartAsync(nats, CancellationToken.None);

        // The server refuses a message that expects another stream; one such message fails the batch.
        var wrongStream = new NatsHeaders { ["Nats-Expected-Stream"] = "OTHER" };
        var refused = await Assert.ThrowsAsync<NatsJSException>(() => publisher.PublishAsync([1, 2, 3], i => Message(i, extra: i == 2 ? wrongStream : null), TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Contains("expected stream does not match", refused.Message, StringComparison.Ordinal);

        // No stream takes the subject: the server answers "no responders".
        var none = await Assert.ThrowsAsync<NatsJSException>(() => publisher.PublishAsync([1], i => Message(i, "elsewhere.x"), TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Contains("no responders", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoAcknowledgement_TimesOut_SayingHowManyWereMissing()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        await using NatsConnection nats = server.Connect();
        await using INatsSub<byte[]> silent = await nats.SubscribeCoreAsync<byte[]>("silent.>"); // takes the messages, never answers
        await using AckedPublisher publisher = await AckedPublisher.StartAsync(nats, CancellationToken.None);

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => publisher.PublishAsync([1, 2, 3], i => Message(i, "silent.x"), TimeSpan.FromMilliseconds(500), CancellationToken.None));
        Assert.Contains("3 of 3 messages were not acknowledged", ex.Message, StringComparison.Ordinal);
    }
}
