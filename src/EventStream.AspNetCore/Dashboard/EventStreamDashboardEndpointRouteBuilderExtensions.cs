using EventStream.AspNetCore.Dashboard.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EventStream.AspNetCore.Dashboard;

/// <summary>Serves the live dashboard's page (plain HTML, CSS and JavaScript embedded in the assembly; no CDN).</summary>
public static class EventStreamDashboardEndpointRouteBuilderExtensions
{
    private static readonly (string Path, string File, string ContentType)[] Files =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/app.css", "app.css", "text/css; charset=utf-8"),
        ("/favicon.svg", "favicon.svg", "image/svg+xml"),
    ];

    /// <summary>
    /// Maps the dashboard at the root; it reads <c>events</c> (map it with <c>MapEventStream("/events")</c>): status banner,
    /// events/s by action and lag charts over five minutes, the latest 500 events (late ones marked) with an action filter,
    /// text search, a JSON detail view, pause/resume, and counters that show every gap. Every response carries a
    /// Content-Security-Policy that allows only the page's own files (no inline script, <c>frame-ancestors 'none'</c>),
    /// <c>X-Content-Type-Options: nosniff</c>, <c>X-Frame-Options: DENY</c> and <c>Referrer-Policy: no-referrer</c>.
    /// </summary>
    /// <remarks>
    /// The page shows customer data: put it behind your authentication, e.g.
    /// <c>app.MapEventStreamDashboard().RequireAuthorization();</c> and the same on <c>MapEventStream</c>.
    /// </remarks>
    /// <param name="endpoints">The app.</param>
    /// <returns>The group holding the page's endpoints, for conventions such as <c>RequireAuthorization()</c> or <c>RequireCors()</c>.</returns>
    public static RouteGroupBuilder MapEventStreamDashboard(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        RouteGroupBuilder group = endpoints.MapGroup("");
        foreach ((string path, string file, string contentType) in Files)
        {
            byte[] content = Read(file);
            group.MapGet(path, (HttpContext context) =>
            {
                SecurityHeaders.Apply(context.Response);
                context.Response.Headers.CacheControl = "no-cache";
                return TypedResults.Bytes(content, contentType);
            });
        }

        return group;
    }

    private static byte[] Read(string file)
    {
        using Stream stream = typeof(EventStreamDashboardEndpointRouteBuilderExtensions).Assembly.GetManifestResourceStream("dashboard/" + file)
            ?? throw new InvalidOperationException($"The dashboard's {file} is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
