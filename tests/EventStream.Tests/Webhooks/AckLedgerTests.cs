using EventStream.Checkpoints;
using EventStream.Webhooks.Internal;

namespace EventStream.Tests.Webhooks;

public class AckLedgerTests
{
    private static FeedCheckpoint At(string? lastEventId) => new(null, DateTimeOffset.UnixEpoch, null, [], "q", lastEventId);

    [Fact]
    public void TakeReady_CheckpointWaitsUntilEveryEventUpToItsLastIsAcknowledged_InAnyOrder()
    {
        var ledger = new AckLedger();
        long a = ledger.Begin("a", 2), b = ledger.Begin("b", 1), c = ledger.Begin("c", 1);
        ledger.Hold(At("b"));

        Assert.Null(ledger.TakeReady());
        ledger.Acknowledge(b);
        ledger.Acknowledge(a);
        Assert.Null(ledger.TakeReady()); // "a" has one route to go
        ledger.Acknowledge(a);

        Assert.Equal("b", ledger.TakeReady()?.LastEventId);
        Assert.Null(ledger.TakeReady());
        Assert.Equal(1, ledger.Unacknowledged);
        ledger.Acknowledge(c);
        Assert.Equal(0, ledger.Unacknowledged);
    }

    [Fact]
    public void TakeReady_SeveralReady_TheNewestWins_AndOlderAreDropped()
    {
        var ledger = new AckLedger();
        long a = ledger.Begin("a", 1);
        ledger.Hold(At("a"));
        long b = ledger.Begin("b", 1);
        ledger.Hold(At("b"));
        ledger.Begin("c", 1);
        ledger.Hold(At("c"));

        ledger.Acknowledge(b);
        ledger.Acknowledge(a);

        Assert.Equal("b", ledger.TakeReady()?.LastEventId);
        Assert.Equal(1, ledger.Held);
    }

    [Fact]
    public void Hold_EventMatchingNoRoute_OrFromBeforeThisRun_IsReadyAtOnce()
    {
        var ledger = new AckLedger();
        ledger.Hold(At("from-the-last-run"));
        Assert.Equal("from-the-last-run", ledger.TakeReady()?.LastEventId);

        ledger.Begin("unrouted", 0);
        ledger.Hold(At("unrouted"));
        Assert.Equal("unrouted", ledger.TakeReady()?.LastEventId);
    }

    [Fact]
    public void Hold_ManyWhileARouteIsStuck_KeepsAtMostMaxHeld()
    {
        var ledger = new AckLedger();
        ledger.Begin("stuck", 1);
        for (int i = 0; i < 1_000; i++)
        {
            ledger.Begin($"e{i}", 0);
            ledger.Hold(At($"e{i}"));
        }

        Assert.Equal(AckLedger.MaxHeld, ledger.Held);
        Assert.Null(ledger.TakeReady());
    }

    [Fact]
    public void ARouteThatHoldsTheOldestEvent_MemoryStaysBounded_AndACheckpointNamingAForgottenIdWaitsForAllTaken()
    {
        // One event a dead route keeps retrying, then far more than MaxTracked that every route acknowledges (the live
        // route goes on while the dead one holds the watermark).
        var ledger = new AckLedger();
        long stuck = ledger.Begin("stuck", 1);
        int count = AckLedger.MaxTracked * 3;
        for (int i = 0; i < count; i++)
        {
            ledger.Acknowledge(ledger.Begin($"e{i}", 1));
        }

        Assert.Equal(0, ledger.Watermark);
        Assert.Equal(1, ledger.Unacknowledged);
        Assert.InRange(ledger.Tracked, 1, AckLedger.MaxTracked);

        // A checkpoint naming an id long forgotten, and one naming a recent id: neither is ready while "stuck" is not.
        ledger.Hold(At("e5"));
        ledger.Hold(At($"e{count - 1}"));
        Assert.Null(ledger.TakeReady());

        long last = ledger.Begin("after", 1);
        ledger.Acknowledge(stuck);
        Assert.Equal(last - 1, ledger.Watermark); // everything before "after"
        Assert.Equal($"e{count - 1}", ledger.TakeReady()?.LastEventId);
        ledger.Acknowledge(last);
        Assert.Equal(0, ledger.Unacknowledged);
    }
}
