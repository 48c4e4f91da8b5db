using EventStream.Api;
using EventStream.Api.Internal;
using EventStream.Checkpoints;

namespace EventStream.Feed.Internal;

/// <summary>
/// The one place that awaits a page: asks the <see cref="FeedPlanner"/> what to do, fetches the query it names through
/// the page source (the <see cref="PageFilter"/> reading the body in the client's buffer), and hands the page back. One
/// request per <see cref="StepAsync"/> (the start's read of the latest events may take several), with no threads or
/// delays of its own: the caller waits as the step says, so tests can drive it step by step on a fake clock.
/// </summary>
internal sealed class FeedEngine
{
    private readonly IPageSource _source;
    private readonly TimeProvider _time;
    private readonly FeedPlanner _planner;
    private readonly PageFilter _filter;
    private readonly RateMeter _requestRate;

    public FeedEngine(IPageSource source, FeedOptions options, FeedCheckpoint? resumeFrom)
    {
        _source = source;
        _time = options.TimeProvider;
        _planner = new FeedPlanner(options, resumeFrom);
        _filter = new PageFilter(options, _planner.Dedupe);
        _requestRate = new RateMeter(_time);
    }

    /// <summary>Identifies the filters a checkpoint belongs to.</summary>
    public string QueryKey => _planner.QueryKey;

    public long Requests { get; private set; }

    public long SweepRequests => _planner.SweepRequests;

    /// <summary>Requests per second over the last minute.</summary>
    public double RequestsPerSecond => _requestRate.PerSecond();

    public long Delivered => _planner.Delivered;

    public long LateDelivered => _planner.LateDelivered;

    public long Duplicates => _planner.Duplicates;

    public long Unreadable => _filter.Unreadable;

    public int DedupeCount => _planner.Dedupe.Count;

    /// <summary>Set by the caller: complete once the head has reached the end and the sweep has covered it.</summary>
    public bool StopWhenCaughtUp { get => _planner.StopWhenCaughtUp; init => _planner.StopWhenCaughtUp = value; }

    public Action<EventsApiException, TimeSpan>? OnRetry { get; init; }

    /// <summary>Told of each unreadable event once (a page read again reports it no more).</summary>
    public Action<UnreadableEvent>? OnUnreadable { get; init; }

    public static string KeyOf(FeedOptions options) => FeedPlanner.KeyOf(options);

    public FeedPosition Position => _planner.Position;

    public async Task<StepResult> StepAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            PlanStep next = _planner.Next(FeedInstant.Now(_time));
            if (next.Kind != PlanKind.Fetch)
            {
                return _planner.Outcome(next);
            }

            PageScan page;
            try
            {
                page = await _source.FetchAsync(next.Query!, PageFilter.Parser, (_filter, next.Window), OnRetry, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _planner.Abandon(next.Purpose);
                throw;
            }

            Requests++;
            _requestRate.Add(_time.GetTimestamp());
            _filter.Report(page, OnUnreadable);
            if (_planner.Apply(next.Purpose, page) is { } result)
            {
                return result;
            }
        }
    }
}
