using EventStream.Api;
using EventStream.Feed;
using EventStream.Parsing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventStream.AspNetCore.Health;

/// <summary>
/// A feed's health: Healthy when live, Degraded while catching up, retrying, not yet started, or stalled on a slow
/// consumer (<see cref="FeedStatus.Stall"/>), Unhealthy when faulted (a permanent error, or a consumer that threw) or
/// stopped. Data: state, time behind, requests/s, events handed over, buffered, the stall, and the last error with its
/// request id (and, for a consumer fault, the event id).
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
            ["buffered"] = status.Counters.Buffered,
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

        if (status.Stall is { } stall)
        {
            data["stalledOn"] = stall.Consumer;
            data["stalledSince"] = stall.Since;
        }

        if (status.Error is { } error)
        {
            data["error"] = error.Message;
            if (error is ConsumerFaultException { EventId: { } eventId })
            {
                data["eventId"] = eventId;
            }

            if (error switch { EventsApiException api => api.RequestId, EventPageFormatException page => page.RequestId, _ => null } is { } requestId)
            {
                data["requestId"] = requestId;
            }
        }

        string description = status.ToString();
        HealthCheckResult result = status.State switch
        {
            FeedState.Live when status.Stall is null => HealthCheckResult.Healthy(description, data),
            FeedState.Live => HealthCheckResult.Degraded(description, data: data),
            FeedState.CatchingUp or FeedState.Retrying or FeedState.Idle => HealthCheckResult.Degraded(description, data: data),
            _ => new HealthCheckResult(context.Registration.FailureStatus, description, status.Error, data),
        };
        return Task.FromResult(result);
    }
}
