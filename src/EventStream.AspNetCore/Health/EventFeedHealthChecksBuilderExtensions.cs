using EventStream.Feed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace EventStream.AspNetCore.Health;

/// <summary>Adds feed health checks.</summary>
public static class EventFeedHealthChecksBuilderExtensions
{
    /// <summary>Checks the default feed, or the feed registered with <paramref name="feedName"/>.</summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="feedName">The feed's name, or <see langword="null"/> for the default feed.</param>
    /// <param name="name">The check's name; default <c>eventstream</c> (or <c>eventstream:{feedName}</c>).</param>
    /// <param name="tags">Tags for filtering.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddEventFeedHealthCheck(this IHealthChecksBuilder builder, string? feedName = null, string? name = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(new HealthCheckRegistration(
            name ?? (feedName is null ? "eventstream" : $"eventstream:{feedName}"),
            sp => new EventFeedHealthCheck(feedName is null ? sp.GetRequiredService<EventFeed>() : sp.GetRequiredKeyedService<EventFeed>(feedName)),
            HealthStatus.Unhealthy,
            tags));
    }
}
