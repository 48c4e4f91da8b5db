using EventStream.AspNetCore.Dashboard.Internal;
using EventStream.AspNetCore.ServerSentEvents.Internal;
using EventStream.Feed;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace EventStream.AspNetCore.ServerSentEvents;

/// <summary>Serves a feed as server-sent events.</summary>
public static class EventStreamEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>GET {pattern}</c> to the feed's events as server-sent events (<c>TypedResults.ServerSentEvents</c>): each
    /// event's JSON exactly as received, with a resumable id (event type <c>message</c>, or <c>late</c> for an event found
    /// behind the head); for a typed event that breaks its plan (the feed has a <c>Catalog</c>), a <c>violations</c> event
    /// right after it; <c>status</c> events beside them; a <c>heartbeat</c> when idle.
    /// <c>Last-Event-ID</c> (header, or <c>?lastEventId=</c>) resumes from a bounded replay buffer with no gap and no
    /// duplicate; an id older than the buffer gets a <c>reset</c> event. Across a restart of the server (a feed with a
    /// checkpoint) an earlier server's id resumes with no gap: exactly once after a graceful stop, at least once after a
    /// crash (each event's <c>eventId</c> tells a repeat); otherwise <c>reset</c>. On shutdown the host's feed stops
    /// first and each client is sent what it has waiting before its stream ends. Filters: <c>?action=a,b</c>, <c>?late=true|false</c>,
    /// <c>?status=false</c>; a bad query is a 400 saying why. A connection that falls behind gets <c>lagged</c> and is closed.
    /// Responses carry the dashboard's security headers (CSP, <c>nosniff</c>, <c>no-referrer</c>).
    /// </summary>
    /// <remarks>The stream is customer data: protect it as the page, e.g. <c>.RequireAuthorization()</c> on the returned builder.</remarks>
    /// <param name="endpoints">The app.</param>
    /// <param name="pattern">The route, e.g. <c>/events</c>.</param>
    /// <param name="feedName">The feed registered with that name, or <see langword="null"/> for the default feed.</param>
    /// <param name="configure">Buffer sizes and heartbeat interval.</param>
    /// <returns>The endpoint's builder, for conventions such as <c>RequireAuthorization()</c> or <c>RequireCors()</c>.</returns>
    public static RouteHandlerBuilder MapEventStream(this IEndpointRouteBuilder endpoints, string pattern, string? feedName = null, Action<EventStreamOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var options = new EventStreamOptions();
        configure?.Invoke(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ReplayCapacity, 1, nameof(options.ReplayCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ClientBufferCapacity, 1, nameof(options.ClientBufferCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.HeartbeatInterval, TimeSpan.Zero, nameof(options.HeartbeatInterval));

        IServiceProvider services = endpoints.ServiceProvider;
        EventFeed feed = feedName is null ? services.GetRequiredService<EventFeed>() : services.GetRequiredKeyedService<EventFeed>(feedName);
        var hub = new EventStreamHub(feed, options, services.GetService<TimeProvider>() ?? TimeProvider.System);
        if (services.GetService<IHostApplicationLifetime>() is { } lifetime)
        {
            lifetime.ApplicationStopping.Register(() => hub.CompleteAfter(TimeSpan.FromSeconds(5)));
            lifetime.ApplicationStopped.Register(hub.Dispose);
        }

        return endpoints.MapGet(pattern, (HttpContext context) =>
        {
            SecurityHeaders.Apply(context.Response);
            (EventFilter? filter, string? error) = EventFilter.Parse(context.Request.Query);
            if (filter is null)
            {
                return (IResult)TypedResults.Json(new ErrorPayload(error), HubJson.Default.ErrorPayload, statusCode: StatusCodes.Status400BadRequest);
            }

            string? lastEventId = context.Request.Headers["Last-Event-ID"].FirstOrDefault() ?? context.Request.Query["lastEventId"].FirstOrDefault();
            EventStreamHub.Connection connection = hub.Connect(filter, string.IsNullOrEmpty(lastEventId) ? null : lastEventId);
            return TypedResults.ServerSentEvents(hub.ReadAsync(connection, context.RequestAborted));
        });
    }
}
