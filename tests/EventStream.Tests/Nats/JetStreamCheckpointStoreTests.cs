using EventStream.Checkpoints;
using EventStream.Nats;
using EventStream.Tests.Infrastructure;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace EventStream.Tests.Nats;

/// <summary>Checkpoints in a JetStream KV bucket of a real nats-server, with compare-and-set.</summary>
public class JetStreamCheckpointStoreTests
{
    private static readonly FeedCheckpoint Sample = new(
        new DateTimeOffset(2026, 11, 26, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 26, 11, 59, 30, TimeSpan.Zero), null,
        [new SeenEvent("e-1", new DateTimeOffset(2026, 11, 26, 11, 59, 59, TimeSpan.Zero))], "include=&exclude=", "e-1");

    [Fact]
    public async Task SavesAndLoads_AndTwoInstances_CannotBothAdvanceOneFeed()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        await using NatsConnection nats = server.Connect();
        INatsKVStore bucket = await new NatsKVContext(new NatsJSContext(nats)).CreateStoreAsync(new NatsKVConfig("checkpoints"));

        var first = new JetStreamCheckpointStore(bucket, "acme.eu.shop");
        Assert.Null(await first.LoadAsync(CancellationToken.None));
        await first.SaveAsync(Sample, CancellationToken.None);
        await first.SaveAsync(Sample with { LastEventId = "e-2" }, CancellationToken.None); // its own revision: fine

        // A second instance takes over: it loads, then saves; the first, still running, must not save over it.
        var second = new JetStreamCheckpointStore(bucket, "acme.eu.shop");
        Assert.Equal("e-2", (await second.LoadAsync(CancellationToken.None))!.LastEventId);
        await second.SaveAsync(Sample with { LastEventId = "e-3" }, CancellationToken.None);

        await Assert.ThrowsAsync<CheckpointConflictException>(() => first.SaveAsync(Sample with { LastEventId = "stale" }, CancellationToken.None).AsTask());
        Assert.True(first.Conflicted);
        Assert.False(second.Conflicted);
        Assert.Equal("e-3", (await new JetStreamCheckpointStore(bucket, "acme.eu.shop").LoadAsync(CancellationToken.None))!.LastEventId);

        // Two first-time owners: only one creates the checkpoint.
        var a = new JetStreamCheckpointStore(bucket, "acme.eu.other");
        var b = new JetStreamCheckpointStore(bucket, "acme.eu.other");
        Assert.Null(await a.LoadAsync(CancellationToken.None));
        Assert.Null(await b.LoadAsync(CancellationToken.None));
        await a.SaveAsync(Sample, CancellationToken.None);
        await Assert.ThrowsAsync<CheckpointConflictException>(() => b.SaveAsync(Sample, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task AStoreWhoseLeaseLapsed_WritesNothing_SaysWhy_AndIsNotConflicted()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        await using NatsConnection nats = server.Connect();
        INatsKVStore bucket = await new NatsKVContext(new NatsJSContext(nats)).CreateStoreAsync(new NatsKVConfig("checkpoints"));
        bool leased = true;
        var store = new JetStreamCheckpointStore(bucket, "acme.eu.shop") { MayWrite = () => leased };
        await store.SaveAsync(Sample, CancellationToken.None);
        ulong revision = (await bucket.GetEntryAsync<byte[]>("acme.eu.shop")).Revision;

        leased = false;
        var ex = await Assert.ThrowsAsync<CheckpointConflictException>(() => store.SaveAsync(Sample with { LastEventId = "after the lapse" }, CancellationToken.None).AsTask());

        Assert.Contains("lease on the feed lapsed", ex.Message, StringComparison.Ordinal);
        Assert.False(store.Conflicted); // nobody else saved: it is this store that may not
        NatsKVEntry<byte[]> entry = await bucket.GetEntryAsync<byte[]>("acme.eu.shop");
        Assert.Equal(revision, entry.Revision);
        Assert.Equal("e-1", FeedCheckpoint.FromUtf8Json(entry.Value!).LastEventId);
    }

    [Fact]
    public async Task AnEntryThatIsNoCheckpoint_IsReportedNamingTheKey()
    {
        await using NatsServer server = await NatsServer.StartAsync();
        await using NatsConnection nats = server.Connect();
        INatsKVStore bucket = await new NatsKVContext(new NatsJSContext(nats)).CreateStoreAsync(new NatsKVConfig("checkpoints"));
        await bucket.PutAsync("acme.eu.shop", "{\"cursor\":null}"u8.ToArray());

        var ex = await Assert.ThrowsAsync<InvalidDataException>(() => new JetStreamCheckpointStore(bucket, "acme.eu.shop").LoadAsync(CancellationToken.None).AsTask());
        Assert.Contains("acme.eu.shop", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no query", ex.Message, StringComparison.Ordinal);
    }
}
