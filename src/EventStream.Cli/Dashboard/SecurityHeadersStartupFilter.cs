using EventStream.AspNetCore.Dashboard.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace EventStream.Cli.Dashboard;

/// <summary>
/// Puts the dashboard's security headers on every response, as it starts — outermost, so that the host's own
/// HostFiltering 400 (which the web host's defaults run first, reading the allow-list from <c>HostFilteringOptions</c>)
/// carries them too. Registered first among the startup filters (the first runs outermost).
/// </summary>
internal sealed class SecurityHeadersStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            context.Response.OnStarting(static r => { SecurityHeaders.Apply((HttpResponse)r); return Task.CompletedTask; }, context.Response);
            return nextMiddleware(context);
        });
        next(app);
    };
}
