using EventStream.Api;
using EventStream.Feed;
using EventStream.Feed.Internal;
using EventStream.Parsing;

namespace EventStream.Tests.Infrastructure;

/// <summary>Steps a <see cref="FeedEngine"/> the way the feed's poller does, on the API's fake clock.</summary>
internal sealed class EngineDriver(InMemoryApi api, FeedEngine engine, FeedOptions options)
{
    public List<IntileryEvent> Delivered { get; } = [];

    public int TransientFailures { get; private set; }

    public FeedEngine Engine => engine;

    public static EngineDriver Create(InMemoryApi api, Action<FeedOptions>? configure = null, bool stopWhenCaughtUp = false, EventStream.Checkpoints.FeedCheckpoint? resume = null)
    {
        var options = new FeedOptions { Start = FeedStart.Beginning, TimeProvider = api.Time, MaxLateness = TimeSpan.FromSeconds(10) };
        configure?.Invoke(options);
        options.Validate();
        return new EngineDriver(api, new FeedEngine(api, options, resume) { StopWhenCaughtUp = stopWhenCaughtUp }, options);
    }

    /// <summary>One step; on idle, advances the clock by the poll interval. Returns false once the engine completed.</summary>
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

        Delivered.AddRange(step.Events);
        if (step.Idle)
        {
            api.Time.Advance(options.PollInterval);
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
