using EventStream.Checkpoints;
using EventStream.Feed.Internal;
using EventStream.Parsing;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Feed.Internal;

/// <summary>The checkpoint tracker on its own: what every consumer took becomes the checkpoint, nothing more.</summary>
public class CommitterTests
{
    private static readonly DateTimeOffset T0 = TestEvents.T0;

    private static FeedPosition At(int ms) => new(T0.AddMilliseconds(ms), T0.AddMilliseconds(ms), T0.AddMilliseconds(ms), T0.AddMilliseconds(ms - 1_000));

    // A page of events then its step position, as the dispatcher appends them.
    private static (long[] Events, long Step) Page(Committer committer, int fromMs, int count, int stepMs)
    {
        long[] events = [.. Enumerable.Range(fromMs, count).Select(ms => committer.Append(TestEvents.Make($"e{ms}", ms)))];
        return (events, committer.Append(At(stepMs)));
    }

    [Fact]
    public void Snapshot_NothingTaken_NoCheckpoint()
    {
        var committer = new Committer("q");
        ConsumerProgress consumer = committer.Join();
        Page(committer, 0, 3, 2);

        Assert.Null(committer.Snapshot().Checkpoint);
        Assert.False(committer.HasUnsaved);
        Assert.Equal(0, consumer.Taken);
    }

    [Fact]
    public void Snapshot_SlowestConsumerDecides_PositionOnlyOnceItsStepIsTaken()
    {
        var committer = new Committer("q");
        ConsumerProgress fast = committer.Join(), slow = committer.Join();
        (long[] first, long firstStep) = Page(committer, 0, 3, 2);
        (long[] second, long secondStep) = Page(committer, 3, 3, 5);
        fast.Take(secondStep);
        slow.Take(first[1]); // took e0 and e1 of the first page

        FeedCheckpoint? checkpoint = committer.Snapshot().Checkpoint;
        Assert.Null(checkpoint); // no step position taken by both yet

        slow.Take(second[0]); // the first step and e3
        checkpoint = committer.Snapshot().Checkpoint!;
        Assert.Equal(T0.AddMilliseconds(2), checkpoint.Cursor);
        Assert.Equal(["e1", "e2", "e3"], checkpoint.Seen.Select(s => s.EventId)); // a restart reads from 1 ms: e0 cannot come again
        Assert.Equal("e3", checkpoint.LastEventId);
        Assert.Equal("q", checkpoint.Query);
    }

    [Fact]
    public void Leave_TheOnlyConsumerStaysAsAFloor_UntilAnotherJoins()
    {
        var committer = new Committer("q");
        ConsumerProgress only = committer.Join();
        (_, long firstStep) = Page(committer, 0, 2, 1);
        (long[] second, _) = Page(committer, 2, 2, 3);
        only.Take(firstStep);
        only.Take(second[0]); // e2, not e3
        committer.Leave(only); // nobody else: what it did not take must come again after a restart

        FeedCheckpoint floor = committer.Snapshot().Checkpoint!;
        Assert.Equal(T0.AddMilliseconds(1), floor.Cursor);
        Assert.Equal(["e0", "e1", "e2"], floor.Seen.Select(s => s.EventId));
        Assert.Equal("e2", floor.LastEventId);

        ConsumerProgress next = committer.Join(); // receives from the next item appended; the floor goes
        (_, long laterStep) = Page(committer, 4, 1, 4);
        next.Take(laterStep);
        FeedCheckpoint checkpoint = committer.Snapshot().Checkpoint!;
        Assert.Equal(T0.AddMilliseconds(4), checkpoint.Cursor);
        Assert.Equal("e4", checkpoint.LastEventId);
    }

    [Fact]
    public void MarkSaved_UntilSomethingNewIsTaken_NothingUnsaved()
    {
        var committer = new Committer("q");
        ConsumerProgress consumer = committer.Join();
        (_, long step) = Page(committer, 0, 2, 1);
        consumer.Take(step);
        (FeedCheckpoint? checkpoint, long version, long taken) = committer.Snapshot();
        Assert.NotNull(checkpoint);
        Assert.Equal(step, taken);
        Assert.True(committer.HasUnsaved);

        committer.MarkSaved(version);
        Assert.False(committer.HasUnsaved);
        (long[] events, _) = Page(committer, 2, 1, 2);
        consumer.Take(events[0]);
        Assert.True(committer.HasUnsaved);
    }

    [Fact]
    public void Forget_IdsOlderThanThePositionsKeepFrom_AreDropped()
    {
        var committer = new Committer("q");
        ConsumerProgress consumer = committer.Join();
        Page(committer, 0, 3, 2);
        (_, long step) = Page(committer, 2_000, 1, 2_000); // KeepFrom = 1,000 ms: e0..e2 can no longer be read again
        consumer.Take(step);

        Assert.Equal(["e2000"], committer.Snapshot().Checkpoint!.Seen.Select(s => s.EventId));
    }

    [Fact]
    public void Snapshot_IdsTheEngineStillKeeps_OnlyThoseARestartCouldReadAgain()
    {
        // The engine keeps ids from KeepFrom (a head window paged by offset, a sweep pass under way), far behind the
        // cursor when catching up a backlog; a restart reads from the cursor and the sweep position less 1 ms.
        var committer = new Committer("q");
        ConsumerProgress consumer = committer.Join();
        Page(committer, 0, 3, 2);
        (_, long step) = Page(committer, 500, 3, 501); // cursor and sweep 501 ms, KeepFrom -499 ms: e0..e502 all kept by the engine
        long[] after = [committer.Append(TestEvents.Make("after", 600))]; // taken past the position: a restart reads it again
        consumer.Take(step);
        consumer.Take(after[0]);

        Assert.Equal(["e500", "e501", "e502", "after"], committer.Snapshot().Checkpoint!.Seen.Select(s => s.EventId));
    }

    [Fact]
    public void Snapshot_SweepBehindTheCursor_KeepsFromTheSweepPosition()
    {
        var committer = new Committer("q");
        ConsumerProgress consumer = committer.Join();
        Page(committer, 0, 4, 3);
        long step = committer.Append(new FeedPosition(T0.AddMilliseconds(3), T0.AddMilliseconds(2), T0.AddMilliseconds(3), T0.AddMilliseconds(-10)));
        consumer.Take(step);

        Assert.Equal(["e1", "e2", "e3"], committer.Snapshot().Checkpoint!.Seen.Select(s => s.EventId)); // from the sweep's 2 ms less 1
    }

    [Fact]
    public void Snapshot_NoCursorYet_KeepsEveryId()
    {
        var committer = new Committer("q");
        ConsumerProgress consumer = committer.Join();
        Page(committer, 0, 3, 2);
        long step = committer.Append(new FeedPosition(null, T0.AddMilliseconds(2), T0.AddMilliseconds(2), DateTimeOffset.MinValue));
        consumer.Take(step);

        Assert.Equal(["e0", "e1", "e2"], committer.Snapshot().Checkpoint!.Seen.Select(s => s.EventId)); // a restart reads from the beginning
    }

    [Fact]
    public void Restore_ThenResume_KeepsTheLoadedIdsAndLastEvent()
    {
        var loaded = new FeedCheckpoint(T0, T0, T0, [new SeenEvent("old", T0)], "q", "old");
        var committer = new Committer("q");
        committer.Restore(loaded);
        ConsumerProgress consumer = committer.Join();
        IntileryEvent e = TestEvents.Make("new", 1);
        long sequence = committer.Append(e);
        consumer.Take(sequence);

        FeedCheckpoint checkpoint = committer.Snapshot().Checkpoint!;
        Assert.Equal(["old", "new"], checkpoint.Seen.Select(s => s.EventId));
        Assert.Equal("new", checkpoint.LastEventId);
        Assert.Equal(T0, checkpoint.Cursor);
    }
}
