using EventStream.AspNetCore.Health;
using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventStream.Tests.Feed;

/// <summary>
/// A consumer that throws (DESIGN.md §3 item 13), by default: the feed faults visibly and for good — against the simulator
/// over real HTTP, with live traffic and a file checkpoint, as issue 17 reproduced it.
/// </summary>
public class ConsumerFaultTests
{
    [Fact]
    public async Task SubscriberThrows_FeedFaultsForGood_EveryConsumerTold_LoggedOnce_Unhealthy_RestartDeliversTheFailingEventFirst()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Backlog = 300; o.BacklogAge = TimeSpan.FromHours(1); o.LiveRate = 20; });
        string path = Path.Combine(Path.GetTempPath(), $"es-fault-{Guid.NewGuid():N}.json");
        try
        {
            var logger = new CapturingLogger();
            // Nothing is fetched until every consumer below has joined: the comparisons of what each got assume they all
            // saw the stream from its first event (under load, a reader started on the thread pool once joined after the
            // fault and read nothing — 1 of 10 suite runs, issue 22).
            using var gate = new FirstRequestGate();
            var feed = new EventFeed(new EventStream.Api.EventsApiClient(Loopback.OptionsFor(simulator), gate), new FeedOptions { Start = FeedStart.Beginning, CheckpointStore = new FileCheckpointStore(path), Logger = logger });
            var states = new List<FeedState>();
            using IDisposable watching = feed.Status.Subscribe(s => { lock (states) { states.Add(s.State); } });
            var first = new Recorder();
            var third = new Recorder();
            var second = new List<IntileryEvent>();
            using IDisposable a = feed.Subscribe(first);
            using IDisposable b = feed.Subscribe(e => // no OnError: Rx's default rethrows whatever it is given
            {
                second.Add(e);
                if (second.Count == 50)
                {
                    throw new InvalidOperationException("bug in the second handler");
                }
            });
            using IDisposable c = feed.Subscribe(third);
            var read = new List<IntileryEvent>();
            IAsyncEnumerator<IntileryEvent> reader = feed.ReadAllAsync().GetAsyncEnumerator();
            ValueTask<bool> firstRead = reader.MoveNextAsync(); // the iterator runs to its first wait: the reader has joined
            Task reading = Task.Run(async () =>
            {
                try
                {
                    for (bool more = await firstRead; more; more = await reader.MoveNextAsync())
                    {
                        read.Add(reader.Current);
                    }
                }
                finally
                {
                    await reader.DisposeAsync();
                }
            });
            gate.Open();

            var fault = await Assert.ThrowsAsync<ConsumerFaultException>(() => feed.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
            IntileryEvent failing = second[49];
            Assert.IsType<InvalidOperationException>(fault.InnerException);
            Assert.Equal(failing.EventId, fault.EventId);
            Assert.Equal("observer", fault.Consumer);

            // Every other subscriber is told, with the same error; the reader throws it, having read only what came before.
            Assert.Same(fault, await first.Ended.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Same(fault, await third.Ended.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Same(fault, await Assert.ThrowsAsync<ConsumerFaultException>(() => reading.WaitAsync(TimeSpan.FromSeconds(10))));
            Assert.Equal(second.Take(49).Select(e => e.EventId), third.Events.Select(e => e.EventId));
            Assert.Equal(second.Take(49).Select(e => e.EventId), read.Select(e => e.EventId));

            // Faulted, and nothing says otherwise afterwards — not the poller, not disposal.
            Assert.Equal(FeedState.Faulted, feed.CurrentStatus.State);
            Assert.Same(fault, feed.CurrentStatus.Error);
            HealthCheckResult health = await Health(feed);
            Assert.Equal(HealthStatus.Unhealthy, health.Status);
            await feed.DisposeAsync();
            Assert.Equal(FeedState.Faulted, feed.CurrentStatus.State);
            lock (states)
            {
                int faultedAt = states.IndexOf(FeedState.Faulted);
                Assert.True(faultedAt >= 0, "never published Faulted");
                Assert.All(states.Skip(faultedAt), s => Assert.Equal(FeedState.Faulted, s));
            }

            // Logged once, at Error, naming the event.
            Assert.Single(logger.Lines, l => l.StartsWith("Error:", StringComparison.Ordinal) && l.Contains(failing.EventId, StringComparison.Ordinal));

            // The checkpoint is at the last event every consumer took: a restart delivers the failing event first.
            await using var restarted = new EventFeed(Loopback.ClientFor(simulator), new FeedOptions { Start = FeedStart.Beginning, CheckpointStore = new FileCheckpointStore(path) });
            await using IAsyncEnumerator<IntileryEvent> again = restarted.ReadAllAsync().GetAsyncEnumerator();
            Assert.True(await again.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(failing.EventId, again.Current.EventId);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task SubscriberWithOnErrorThrows_StatusNeverLeavesFaulted_WhileLiveTrafficFlows()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Backlog = 300; o.BacklogAge = TimeSpan.FromHours(1); o.LiveRate = 20; });
        await using var feed = new EventFeed(Loopback.ClientFor(simulator), new FeedOptions { Start = FeedStart.Beginning, PollInterval = TimeSpan.FromMilliseconds(100) });
        var thrower = new Recorder { ThrowAt = 50 };
        using IDisposable subscription = feed.Subscribe(thrower);

        await Assert.ThrowsAsync<ConsumerFaultException>(() => feed.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.IsType<ConsumerFaultException>(await thrower.Ended.WaitAsync(TimeSpan.FromSeconds(10)));

        // Polling has stopped: the simulator's live traffic keeps arriving, the feed asks for none of it. Wait until the
        // simulator holds events well past what the feed read, then check that the feed still says Faulted.
        long requests = simulator.RequestCount;
        int events = simulator.EventCount;
        await Wait.UntilAsync(() => simulator.EventCount >= events + 20, "20 more live events exist");
        Assert.Equal(FeedState.Faulted, feed.CurrentStatus.State);
        Assert.InRange(simulator.RequestCount, requests, requests + 1); // at most the one in flight when it faulted
    }

    [Fact]
    public async Task GroupObserverThrowsForOneFeed_ThatFeedFaultsForGood_TheObserverIsTold_TheOtherFeedGoesOn()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Brands = 2; o.Backlog = 600; o.BacklogAge = TimeSpan.FromHours(1); });
        await using var group = new FeedGroup();
        DateTimeOffset until = DateTimeOffset.UtcNow.AddMinutes(-30);
        foreach (SimulatedBrand brand in simulator.Brands)
        {
            group.Add(brand.BrandId, Loopback.OptionsFor(simulator, o => { o.BrandId = brand.BrandId; o.AuthToken = brand.Token; }), new FeedOptions { Start = FeedStart.Beginning, Until = until });
        }

        string one = simulator.Brands[0].BrandId, two = simulator.Brands[1].BrandId;
        var got = new List<FeedEvent>();
        var errors = new List<(string Feed, Exception Error)>();
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int fromOne = 0;
        using IDisposable subscription = group.Subscribe(
            System.Reactive.Observer.Create<FeedEvent>(
                e =>
                {
                    if (e.Feed == one && ++fromOne == 10)
                    {
                        throw new InvalidOperationException("bug for feed one");
                    }

                    got.Add(e);
                },
                ex => completed.TrySetException(ex),
                () => completed.TrySetResult()),
            (feed, error) => errors.Add((feed, error)));

        await completed.Task.WaitAsync(TimeSpan.FromSeconds(60)); // the merged stream completes: it was not ended by OnError
        var fault = Assert.IsType<ConsumerFaultException>(Assert.Single(errors, x => x.Feed == one).Error);
        Assert.Equal("group observer", fault.Consumer);
        Assert.DoesNotContain(errors, x => x.Feed == two);
        Assert.Equal(simulator.Brands[1].EventCount, got.Count(e => e.Feed == two));
        Assert.Equal(9, got.Count(e => e.Feed == one));
        await Assert.ThrowsAsync<ConsumerFaultException>(() => group[one].Completion);
        Assert.Equal(FeedState.Faulted, group[one].CurrentStatus.State);

        // group.Status says so for good (a new subscriber gets each feed's current state first).
        var now = new List<FeedGroupStatus>();
        using (group.Status.Subscribe(s => now.Add(s)))
        {
            Assert.Equal(FeedState.Faulted, now.Single(s => s.Feed == one).Status.State);
        }
    }

    [Fact]
    public async Task BlockedSubscriber_CountersSayWhatWasHandedOver_NotWhatWasReadAhead()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Backlog = 3_000; o.BacklogAge = TimeSpan.FromHours(1); });
        await using var feed = new EventFeed(Loopback.ClientFor(simulator), new FeedOptions { Start = FeedStart.Beginning, BufferCapacity = 500 });
        using var gate = new SemaphoreSlim(0);
        int taken = 0;
        using IDisposable subscription = feed.Subscribe(_ =>
        {
            if (Interlocked.Increment(ref taken) == 10)
            {
                gate.Wait(); // the 10th event is never returned from while we look
            }
        });

        await Wait.UntilAsync(() => Volatile.Read(ref taken) == 10 && feed.Counters.Buffered >= 500, "the subscriber holds the 10th event and the read-ahead buffer is full");
        FeedCounters counters = feed.Counters;
        gate.Release();
        Assert.Equal(9, counters.Events); // nine returned from OnNext; the tenth is still inside it
        Assert.InRange(counters.Buffered, 500, 600);
    }

    private static Task<HealthCheckResult> Health(EventFeed feed)
    {
        var check = new EventFeedHealthCheck(feed);
        return check.CheckHealthAsync(new HealthCheckContext { Registration = new HealthCheckRegistration("feed", check, HealthStatus.Unhealthy, null) });
    }

    /// <summary>An observer with <c>OnError</c> that records what it gets (and throws at its <see cref="ThrowAt"/>th event).</summary>
    private sealed class Recorder : IObserver<IntileryEvent>
    {
        private readonly TaskCompletionSource<Exception?> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<IntileryEvent> Events { get; } = [];

        public int ThrowAt { get; init; }

        /// <summary>The error it was given, or null once completed.</summary>
        public Task<Exception?> Ended => _ended.Task;

        public void OnNext(IntileryEvent value)
        {
            Events.Add(value);
            if (Events.Count == ThrowAt)
            {
                throw new InvalidOperationException($"bug at event {ThrowAt}");
            }
        }

        public void OnError(Exception error) => _ended.TrySetResult(error);

        public void OnCompleted() => _ended.TrySetResult(null);
    }
}

/// <summary>Holds every request until <see cref="Open"/>: a feed's consumers can all join before its first page arrives.</summary>
internal sealed class FirstRequestGate() : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Open() => _open.TrySetResult();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await _open.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
