using System.Threading.Channels;
using EventStream.Api;
using EventStream.Api.Internal;
using EventStream.Checkpoints;
using EventStream.Diagnostics.Internal;
using EventStream.Internal;
using EventStream.Parsing;
using Microsoft.Extensions.Logging;

namespace EventStream.Feed.Internal;

/// <summary>
/// The poller: loads the checkpoint, steps the <see cref="FeedEngine"/> and writes its events and positions to the
/// dispatcher's channel, waiting as each step says; outlives outages (backing off, and saying so once per retry
/// episode); counts the retries and 429s of the client and its own.
/// </summary>
internal sealed class FeedPoller
{
    private readonly IPageSource _source;
    private readonly FeedOptions _options;
    private readonly TimeProvider _time;
    private readonly ICheckpointStore _store;
    private readonly Committer _committer;
    private readonly ChannelWriter<FeedItem> _items;
    private readonly PublishStatus _publish;
    private readonly ILogger? _logger;
    private readonly KeyValuePair<string, object?> _brand;

    /// <summary>The engine, once the checkpoint is loaded.</summary>
    private FeedEngine? _engine;

    /// <summary>Failed attempts in the current retry episode (0: none under way).</summary>
    private int _episodeFailures;

    /// <summary>When the current retry episode began (a <see cref="TimeProvider"/> timestamp).</summary>
    private long _episodeStart;

    private long _retries;
    private long _rateLimited;

    public FeedPoller(IPageSource source, FeedOptions options, ICheckpointStore store, Committer committer, ChannelWriter<FeedItem> items, PublishStatus publish, ILogger? logger, KeyValuePair<string, object?> brand)
    {
        _source = source;
        _options = options;
        _time = options.TimeProvider;
        _store = store;
        _committer = committer;
        _items = items;
        _publish = publish;
        _logger = logger;
        _brand = brand;
    }

    /// <summary>End once caught up: a transient error that outlasts the client's retries ends the feed.</summary>
    public bool StopWhenCaughtUp { get; init; }

    /// <summary>The engine, once the checkpoint is loaded (null before).</summary>
    public FeedEngine? Engine => Volatile.Read(ref _engine);

    /// <summary>The id of the last event taken before the loaded checkpoint.</summary>
    public string? ResumedAfter { get; private set; }

    /// <summary>Failed requests retried, by the client or by this loop (each counted here, once).</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Of <see cref="Retries"/>, those the API refused with 429.</summary>
    public long RateLimited => Interlocked.Read(ref _rateLimited);

    /// <summary>Polls until cancelled, complete, or failed; then completes the channel (with the error, if any).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            FeedCheckpoint? resume = await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
            if (resume is not null)
            {
                _committer.Restore(resume);
                ResumedAfter = resume.LastEventId;
            }

            var engine = new FeedEngine(_source, _options, resume)
            {
                StopWhenCaughtUp = StopWhenCaughtUp,
                OnRetry = OnClientRetry,
                OnUnreadable = OnUnreadable,
            };
            Volatile.Write(ref _engine, engine);
            _publish(FeedState.CatchingUp);
            int failures = 0;
            long duplicatesReported = 0;
            while (!cancellationToken.IsCancellationRequested)
            {
                StepResult step;
                try
                {
                    step = await engine.StepAsync(cancellationToken).ConfigureAwait(false);
                    failures = 0;
                }
                catch (EventsApiException ex) when (ex.IsTransient && !StopWhenCaughtUp)
                {
                    // The client's own retries ran out. A daemon outlives outages: keep trying (the engine's position is
                    // untouched), back off, and say so each time. (With StopWhenCaughtUp the error ends the feed instead.)
                    failures++;
                    TimeSpan delay = Backoff.Delay(failures, TimeSpan.FromSeconds(1), _options.MaxRetryDelay, jitter: true, ex.RetryAfter);
                    Retrying(ex, delay, fromClient: false);
                    await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                EndRetryEpisode();
                if (engine.Duplicates - duplicatesReported is > 0 and long dropped)
                {
                    Telemetry.Duplicates.Add(dropped, _brand);
                    duplicatesReported = engine.Duplicates;
                }

                foreach (IntileryEvent e in step.Events)
                {
                    await _items.WriteAsync(new FeedItem(e, default, 0), cancellationToken).ConfigureAwait(false);
                }

                await _items.WriteAsync(new FeedItem(null, step.Position, 0), cancellationToken).ConfigureAwait(false);
                _publish(step.AtHead ? FeedState.Live : FeedState.CatchingUp, behind: step.Behind, remaining: step.Remaining);
                if (step.Completed)
                {
                    break;
                }

                if (step.Delay > TimeSpan.Zero)
                {
                    await Task.Delay(step.Delay, _time, cancellationToken).ConfigureAwait(false);
                }
            }

            _items.TryComplete();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _items.TryComplete();
        }
        catch (Exception ex)
        {
            _items.TryComplete(ex);
        }
    }

    private void OnClientRetry(EventsApiException error, TimeSpan delay) => Retrying(error, delay, fromClient: true);

    // One retry, counted here once, whoever retries. One retry episode: said when it starts, at every back-off of this
    // loop (the client's quick retries inside one request are only counted), and when it ends.
    private void Retrying(EventsApiException error, TimeSpan delay, bool fromClient)
    {
        Interlocked.Increment(ref _retries);
        if (error.StatusCode == System.Net.HttpStatusCode.TooManyRequests)
        {
            Interlocked.Increment(ref _rateLimited);
        }

        DateTimeOffset next = _time.GetUtcNow() + delay;
        int attempts = ++_episodeFailures;
        if (attempts == 1)
        {
            _episodeStart = _time.GetTimestamp();
            if (_logger is not null)
            {
                FeedLog.RetryStarted(_logger, error.Message, next.ToLocalTime(), delay.TotalSeconds);
            }
        }
        else if (_logger is not null && !fromClient)
        {
            FeedLog.StillRetrying(_logger, attempts, error.Message, next.ToLocalTime(), delay.TotalSeconds);
        }

        _publish(FeedState.Retrying, nextAttempt: next, error: error);
    }

    private void EndRetryEpisode()
    {
        if (_episodeFailures > 0)
        {
            if (_logger is not null)
            {
                FeedLog.Recovered(_logger, _episodeFailures, _time.GetElapsedTime(_episodeStart).TotalSeconds);
            }

            _episodeFailures = 0;
        }
    }

    private void OnUnreadable(UnreadableEvent e)
    {
        if (_logger is not null)
        {
            FeedLog.Unreadable(_logger, e);
        }

        _options.OnUnreadableEvent?.Invoke(e);
    }
}
