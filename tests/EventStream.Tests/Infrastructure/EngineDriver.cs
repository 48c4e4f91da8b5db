using EventStream.Api;
using EventStream.Feed;
using EventStream.Feed.Internal;
using EventStream.Parsing;

namespace EventStream.Tests.Infrastructure;

/// <summary>Steps a <see cref="FeedEngine"/> the way the feed's poller does, on the API's fake clock.</summary>
internal sealed class EngineDriver(InMemoryApi api, FeedEngine engine)
{
    public List<IntileryEvent> Delivered { get; } = [];

    /// <summary>Whether delivered events are kept in <see cref="Delivered"/> (off for long runs; see <see cref="Delivering"/>).</summary>
    public bool KeepDelivered { get; set; } = true;

    /// <summary>Called for each event delivered, with the (fake) time.</summary>
    public Action<IntileryEvent, DateTimeOffset>? Delivering { get; set; }

    /// <summary>The (fake) time at which each event in <see cref="Delivered"/> was handed over.</summary>
    public List<DateTimeOffset> DeliveredAt { get; } = [];

    /// <summary>Whether the last step ended at the head (live).</summary>
    public bool AtHead { get; private set; }

    public int TransientFailures { get; private set; }

    public FeedEngine Engine => engine;

    /// <summary>Steps until the fake clock has reached <paramref name="time"/>.</summary>
    public async Task RunUntilTimeAsync(DateTimeOffset time, int maxSteps = 10_000_000)
    {
        for (int i = 0; i < maxSteps && api.Time.GetUtcNow() < time; i++)
        {
            if (!await StepAsync())
            {
                return;
            }
        }

        Assert.True(api.Time.GetUtcNow() >= time, $"the clock did not reach {time:O} in {maxSteps} steps");
    }

    public static EngineDriver Create(InMemoryApi api, Action<FeedOptions>? configure = null, bool stopWhenCaughtUp = false, EventStream.Checkpoints.FeedCheckpoint? resume = null)
    {
        var options = new FeedOptions { Start = FeedStart.Beginning, TimeProvider = api.Time, MaxLateness = TimeSpan.FromSeconds(10) };
        configure?.Invoke(options);
        options.Validate();
        return new EngineDriver(api, new FeedEngine(api, options, resume) { StopWhenCaughtUp = stopWhenCaughtUp });
    }

    /// <summary>One step; when the engine has nothing to do, advances the clock by the wait it asks for. Returns false once the engine completed.</summary>
    public async Task<bool> StepAsync()
    {
        StepResult step;
        try
        {
            step = await engine.StepAsync(CancellationToken.None);
        }
        catch (EventsApiException ex) when (ex.IsTransient)
        {
            TransientFailures++;
            return true;
        }

        DateTimeOffset now = api.Time.GetUtcNow();
        if (KeepDelivered)
        {
            Delivered.AddRange(step.Events);
            DeliveredAt.AddRange(step.Events.Select(_ => now));
        }

        foreach (IntileryEvent e in step.Events)
        {
            Delivering?.Invoke(e, now);
        }
        AtHead = step.AtHead;
        if (step.Delay > TimeSpan.Zero)
        {
            api.Time.Advance(step.Delay);
        }

        return !step.Completed;
    }

    public async Task RunUntilAsync(Func<bool> done, int maxSteps = 100_000)
    {
        for (int i = 0; i < maxSteps && !done(); i++)
        {
            if (!await StepAsync())
            {
                return;
            }
        }

        Assert.True(done(), $"condition not reached in {maxSteps} steps; delivered {Delivered.Count}");
    }

    public async Task RunToCompletionAsync(int maxSteps = 100_000)
    {
        for (int i = 0; i < maxSteps; i++)
        {
            if (!await StepAsync())
            {
                return;
            }
        }

        Assert.Fail($"not complete after {maxSteps} steps; delivered {Delivered.Count}");
    }
}
