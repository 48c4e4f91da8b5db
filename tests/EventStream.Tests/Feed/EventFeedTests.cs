using System.Net;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using EventStream.Api;
using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Feed;

/// <summary>The feed's surfaces (hot observable, async readers, status, checkpoints) over the in-memory API.</summary>
public class EventFeedTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);

    private static (InMemoryApi Api, List<SimulatedEvent> Events) Backlog(int count, Func<int, bool>? fail = null)
    {
        var api = new InMemoryApi(new FakeTimeProvider(T0.AddHours(1)), fail: fail);
        var events = Enumerable.Range(0, count).Select(i => api.Add(T0.AddMilliseconds(i / 3))).ToList();
        return (api, events);
    }

    private static FeedOptions Options(InMemoryApi api, ICheckpointStore? store = null) => new()
    {
        Start = FeedStart.Beginning,
        TimeProvider = api.Time,
        CheckpointStore = store,
        BufferCapacity = 64,
    };

    [Fact]
    public async Task Observable_TwoSubscribers_EachGetEveryEvent_FromOneSetOfRequests()
    {
        (InMemoryApi api, List<SimulatedEvent> events) = Backlog(1_000);
        await using var feed = new EventFeed(api, Options(api), null) { StopWhenCaughtUp = true };

        Task<IList<IntileryEvent>> first = feed.ToList().ToTask();
        Task<IList<IntileryEvent>> second = feed.ToList().ToTask();
        IList<IntileryEvent> a = await first.WaitAsync(TimeSpan.FromSeconds(30));
        IList<IntileryEvent> b = await second.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(events.Select(e => e.EventId), a.Select(e => e.EventId));
        Assert.Equal(events.Select(e => e.EventId), b.Select(e => e.EventId));
        Assert.Equal(10, api.Requests); // 1,000 events: 10 full pages (the API's total says the tenth is the last)
        Assert.Equal(1_000, feed.Counters.Events);
    }

    [Fact]
    public async Task AsyncReaders_AndAnObserver_AllSeeEveryEventOnce()
    {
        (InMemoryApi api, List<SimulatedEvent> events) = Backlog(700);
        await using var feed = new EventFeed(api, Options(api), null) { StopWhenCaughtUp = true };
        var observed = new List<string>();
        using IDisposable subscription = feed.Subscribe(e => observed.Add(e.EventId));

        async Task<List<string>> ReadAsync()
        {
            var ids = new List<string>();
            await foreach (IntileryEvent e in feed.ReadAllAsync())
            {
                ids.Add(e.EventId);
            }

            return ids;
        }

        List<string>[] readers = await Task.WhenAll(ReadAsync(), ReadAsync()).WaitAsync(TimeSpan.FromSeconds(30));

        // The observer subscribed first; readers registered a moment later may miss the first events (hot), never repeat one.
        Assert.Equal(events.Select(e => e.EventId), observed);
        foreach (List<string> ids in readers)
        {
            Assert.Equal(ids.Count, ids.Distinct().Count());
            Assert.Equal(events.Select(e => e.EventId).TakeLast(ids.Count), ids);
        }
    }

    [Fact]
    public async Task ReadBatchesAsync_DeliversEveryEventOnceInOrder_InBoundedBatches()
    {
        (InMemoryApi api, List<SimulatedEvent> events) = Backlog(1_234);
        await using var feed = new EventFeed(api, Options(api), null) { StopWhenCaughtUp = true };
        var ids = new List<string>();
        int batches = 0;

        await foreach (IReadOnlyList<IntileryEvent> batch in feed.ReadBatchesAsync(maxBatchSize: 50))
        {
            Assert.InRange(batch.Count, 1, 50);
            ids.AddRange(batch.Select(e => e.EventId));
            batches++;
        }

        Assert.Equal(events.Select(e => e.EventId), ids);
        Assert.True(batches >= 25);
    }

    [Fact]
    public async Task ReadAllAsync_Cancelled_EndsThatReaderOnly()
    {
        (InMemoryApi api, _) = Backlog(500);
        await using var feed = new EventFeed(api, Options(api), null);
        using var cts = new CancellationTokenSource();
        int read = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (IntileryEvent e in feed.ReadAllAsync(cts.Token))
            {
                if (++read == 10)
                {
                    await cts.CancelAsync();
                }
            }
        });

        Assert.Equal(10, read);
        Assert.NotEqual(FeedState.Faulted, feed.CurrentStatus.State);
    }

    [Fact]
    public async Task PermanentError_FaultsSubscribersReadersAndCompletion_WithTheTypedException()
    {
        var api = new InMemoryApi(new FakeTimeProvider(T0));
        var failing = new FailingSource(new EventsApiException(HttpStatusCode.Unauthorized, "authentication_error", "bad token", "req-1"));
        await using var feed = new EventFeed(failing, Options(api), null);

        var observed = await Assert.ThrowsAsync<EventsApiException>(() => feed.ToList().ToTask().WaitAsync(TimeSpan.FromSeconds(30)));
        await Assert.ThrowsAsync<EventsApiException>(() => feed.Completion.WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal("req-1", observed.RequestId);
        Assert.Equal(FeedState.Faulted, feed.CurrentStatus.State);
        Assert.Same(observed, feed.CurrentStatus.Error);
        await Assert.ThrowsAsync<EventsApiException>(async () => { await foreach (IntileryEvent _ in feed.ReadAllAsync()) { } });
    }

    [Fact]
    public async Task TransientErrors_ShowAsRetryingInStatus_AndLoseNothing()
    {
        int n = 0;
        (InMemoryApi api, List<SimulatedEvent> events) = Backlog(300, fail: _ => ++n % 2 == 0);
        api.ClientRetries = 3; // as the HTTP client does: each failed request is retried
        await using var feed = new EventFeed(api, Options(api), null) { StopWhenCaughtUp = true };
        var states = new List<FeedState>();
        using IDisposable statusSubscription = feed.Status.Subscribe(s => { lock (states) { states.Add(s.State); } });

        var readTask = feed.ToList().ToTask();
        // Feed-level retry delays run on the fake clock: keep it moving until the feed is done.
        while (!readTask.IsCompleted)
        {
            api.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
            await Task.Delay(1);
        }

        IList<IntileryEvent> received = await readTask;
        Assert.Equal(events.Select(e => e.EventId), received.Select(e => e.EventId));
        lock (states)
        {
            Assert.Contains(FeedState.Retrying, states);
            Assert.Equal(FeedState.Stopped, states[^1]);
        }

        Assert.True(feed.Counters.Retries > 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StopMidStream_ThenRestartFromTheCheckpoint_NoLossNoDuplicate(bool onDisk)
    {
        (InMemoryApi api, List<SimulatedEvent> events) = Backlog(5_000);
        string path = Path.Combine(Path.GetTempPath(), $"eventstream-{Guid.NewGuid():N}.json");
        ICheckpointStore store = onDisk ? new FileCheckpointStore(path) : new InMemoryCheckpointStore();
        var taken = new List<string>();
        try
        {
            // A graceful stop (as on SIGINT): the consumer's token is cancelled; every event it was given has been taken.
            using var stop = new CancellationTokenSource();
            await using (var feed = new EventFeed(api, Options(api, store), null))
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
                {
                    await foreach (IntileryEvent e in feed.ReadAllAsync(stop.Token))
                    {
                        taken.Add(e.EventId);
                        if (taken.Count == 2_345)
                        {
                            await stop.CancelAsync();
                        }
                    }
                });
            }

            FeedCheckpoint? saved = await store.LoadAsync(CancellationToken.None);
            Assert.NotNull(saved);
            Assert.True(saved.Cursor <= events[2_344].EventTime, "the checkpoint must not run ahead of what was taken");

            await using (var feed = new EventFeed(api, Options(api, store), null) { StopWhenCaughtUp = true })
            {
                await foreach (IntileryEvent e in feed.ReadAllAsync())
                {
                    taken.Add(e.EventId);
                }
            }

            Assert.Equal(events.Select(e => e.EventId), taken);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Checkpoint_RecordsOnlyWhatConsumersTook()
    {
        (InMemoryApi api, _) = Backlog(2_000);
        var store = new InMemoryCheckpointStore();
        await using var feed = new EventFeed(api, Options(api, store), null);
        using var gate = new SemaphoreSlim(0);
        var taken = new List<IntileryEvent>();
        using IDisposable subscription = feed.Subscribe(e =>
        {
            lock (taken)
            {
                taken.Add(e);
            }

            if (taken.Count == 250)
            {
                gate.Wait(); // the consumer stalls inside OnNext of the 250th event
            }
        });

        await Wait.UntilAsync(() => { lock (taken) { return taken.Count == 250; } }, "the consumer has taken 250 events");
        await feed.SaveCheckpointAsync();
        FeedCheckpoint checkpoint = store.Checkpoint!;
        gate.Release();

        // The position is the last page boundary before what was taken; the ids are those of the 249 events OnNext
        // returned from that a restart could read again (from the cursor's millisecond less one), and not the 250th.
        Assert.Equal(taken[199].EventTime, checkpoint.Cursor);
        var returned = taken.Take(249).ToList();
        var seen = checkpoint.Seen.Select(s => s.EventId).ToHashSet();
        Assert.Subset(returned.Select(e => e.EventId).ToHashSet(), seen);
        Assert.All(returned.Where(e => e.EventTime >= checkpoint.Cursor!.Value.AddMilliseconds(-1)), e => Assert.Contains(e.EventId, seen));
        Assert.DoesNotContain(taken[249].EventId, seen);
        Assert.True(seen.Count >= 50);
        Assert.Equal(FeedEngineKey, checkpoint.Query);
    }

    private const string FeedEngineKey = "include=;exclude=";

    [Fact]
    public async Task SlowConsumer_PausesPolling_MemoryStaysBounded()
    {
        (InMemoryApi api, _) = Backlog(10_000);
        await using var feed = new EventFeed(api, Options(api), null);
        using var gate = new SemaphoreSlim(0);
        using IDisposable subscription = feed.Subscribe(_ => gate.Wait());

        // With the consumer stuck on its first event, the poller fills the 64-item buffer and stops.
        await Wait.UntilAsync(() => api.Requests >= 1, "the first request");
        int stable = 0, last = -1;
        while (stable < 20)
        {
            await Task.Delay(10);
            stable = api.Requests == last ? stable + 1 : 0;
            last = api.Requests;
        }

        Assert.InRange(api.Requests, 1, 3);
        gate.Release(10_000);
    }

    [Fact]
    public void Options_Invalid_ThrowNamingTheOption()
    {
        var api = new InMemoryApi(new FakeTimeProvider(T0));
        var ex = Assert.Throws<ArgumentException>(() => new EventFeed(api, new FeedOptions { PageSize = 0 }, null));
        Assert.Equal(nameof(FeedOptions.PageSize), ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => new EventFeed(api, new FeedOptions { Include = ["a,b"] }, null));
        Assert.Equal("Include", ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => new EventFeed(api, new FeedOptions { Start = FeedStart.At(T0), Until = T0 }, null));
        Assert.Equal(nameof(FeedOptions.Until), ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => new EventFeed(api, new FeedOptions { MaxLateness = TimeSpan.FromSeconds(-1) }, null));
        Assert.Equal(nameof(FeedOptions.MaxLateness), ex.ParamName);
        ex = Assert.Throws<ArgumentException>(() => new EventFeed(api, new FeedOptions { HoldBack = TimeSpan.FromMilliseconds(-1) }, null));
        Assert.Equal(nameof(FeedOptions.HoldBack), ex.ParamName);
    }

    private sealed class FailingSource(EventsApiException error) : EventStream.Api.Internal.IPageSource
    {
        public Task<TResult> FetchAsync<TState, TResult>(EventsQuery query, EventStream.Api.Internal.PageParser<TState, TResult> parse, TState state, Action<EventsApiException, TimeSpan>? onRetry, CancellationToken cancellationToken)
            => Task.FromException<TResult>(error);
    }
}
