using EventStream.Api;
using EventStream.Feed;
using EventStream.Parsing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventStream.AspNetCore.Health;

/// <summary>
/// A feed's health: Healthy when live, Degraded while catching up, retrying or not yet started, Unhealthy when faulted
/// or stopped. Data: state, time behind, requests/s, events, and the last error with its request id.
/// </summary>
public sealed class EventFeedHealthCheck(EventFeed feed) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        FeedStatus status = feed.CurrentStatus;
        var data = new Dictionary<string, object>
        {
            ["state"] = status.State.ToString(),
            ["events"] = status.Counters.Events,
            ["requestsPerSecond"] = Math.Round(status.Counters.RequestsPerSecond, 2),
        };
        if (status.Behind is { } behind)
        {
            data["behindSeconds"] = Math.Round(behind.TotalSeconds, 1);
        }

        if (feed.LastEventTime is { } last)
        {
            data["lastEventTime"] = last;
        }

        if (status.Error is { } error)
        {
            data["error"] = error.Message;
            if (error switch { EventsApiException api => api.RequestId, EventPageFormatException page => page.RequestId, _ => null } is { } requestId)
            {
                data["requestId"] = requestId;
            }
        }

        string description = status.ToString();
        HealthCheckResult result = status.State switch
        {
            FeedState.Live => HealthCheckResult.Healthy(description, data),
            FeedState.CatchingUp or FeedState.Retrying or FeedState.Idle => HealthCheckResult.Degraded(description, data: data),
            _ => new HealthCheckResult(context.Registration.FailureStatus, description, status.Error, data),
        };
        return Task.FromResult(result);
    }
}
