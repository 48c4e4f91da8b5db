using System.CommandLine;
using System.Net;
using EventStream.Api;
using EventStream.AspNetCore.Dashboard;
using EventStream.AspNetCore.Health;
using EventStream.AspNetCore.Hosting;
using EventStream.AspNetCore.ServerSentEvents;
using EventStream.Feed;
using EventStream.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventStream.Cli.Commands;

/// <summary>
/// <c>eventstream dashboard</c>: the feed in a browser. Built on EventStream.AspNetCore: <c>GET /</c> the page,
/// <c>GET /events</c> its server-sent events (<c>MapEventStream</c>), <c>GET /health</c> the feed's health check.
/// The first stdout line is the URL.
/// </summary>
internal static class DashboardCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var connection = new ConnectionOptions();
        var port = new Option<int>("--port") { Description = "Port to serve on (0: any free port)", DefaultValueFactory = _ => 0 };
        var listen = new Option<string>("--listen") { Description = "Address to serve on (default 127.0.0.1: this machine only)", DefaultValueFactory = _ => "127.0.0.1" };
        var command = new Command("dashboard", "Serve a live dashboard of the feed; the first line printed is its URL.");
        connection.AddTo(command);
        command.Options.Add(port);
        command.Options.Add(listen);
        command.SetStoppableAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            if (!IPAddress.TryParse(parse.GetValue(listen), out IPAddress? address))
            {
                return await Usage.FailAsync(parse, "--listen must be an IP address, e.g. 127.0.0.1 or 0.0.0.0.", error).ConfigureAwait(false);
            }

            if (parse.GetValue(port) is < 0 or > 65_535)
            {
                return await Usage.FailAsync(parse, "--port must be between 0 and 65535.", error).ConfigureAwait(false);
            }

            IntilerySimulator? simulator = null;
            try
            {
                (EventsApiOptions? api, FeedOptions? feed, simulator, int exitCode) = await connection.BuildAsync(parse, error, cancellationToken).ConfigureAwait(false);
                if (api is null || feed is null)
                {
                    return exitCode;
                }

                WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
                builder.Logging.ClearProviders(); // stdout carries the URL; the feed says what matters on stderr
                builder.WebHost.UseKestrel(k => k.Listen(address, parse.GetValue(port)));
                var log = new StderrLogger(error, "eventstream dashboard");
                builder.Services.AddEventFeed(configure: s =>
                {
                    (s.BaseUrl, s.ClientId, s.AccountId, s.BrandId, s.AuthToken, s.AllowInsecureHttp) = (api.BaseUrl, api.ClientId, api.AccountId, api.BrandId, api.AuthToken, api.AllowInsecureHttp);
                    (s.Include, s.Exclude, s.MaxLateness) = ([.. feed.Include], [.. feed.Exclude], feed.MaxLateness);
                    // Decoded with Intilery's standard catalog, so that plan violations show on the page.
                    s.ConfigureFeed = o => (o.Start, o.Until, o.CheckpointStore, o.Logger, o.Catalog) = (feed.Start, feed.Until, feed.CheckpointStore, log, Typed.IntileryEvents.Catalog);
                });
                builder.Services.AddHealthChecks().AddEventFeedHealthCheck();
                await using WebApplication app = builder.Build();
                app.MapEventStream("/events");
                app.MapHealthChecks("/health");
                app.MapEventStreamDashboard();
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                string url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
                await output.WriteLineAsync(url.TrimEnd('/') + "/").ConfigureAwait(false);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false); // the ready line goes out whatever happens next
                try
                {
                    await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }

                await app.StopAsync(CancellationToken.None).ConfigureAwait(false); // the feed stops, checkpoint saved
                return 0;
            }
            finally
            {
                if (simulator is not null)
                {
                    await simulator.DisposeAsync().ConfigureAwait(false);
                }
            }
        });
        return command;
    }
}
