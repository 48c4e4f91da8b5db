using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using EventStream.Api;
using EventStream.AspNetCore.Dashboard;
using EventStream.AspNetCore.Health;
using EventStream.AspNetCore.Hosting;
using EventStream.AspNetCore.ServerSentEvents;
using EventStream.Cli.Dashboard;
using EventStream.Feed;
using EventStream.Simulator;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventStream.Cli.Commands;

/// <summary>
/// <c>eventstream dashboard</c>: the feed in a browser. Built on EventStream.AspNetCore: <c>GET /</c> the page,
/// <c>GET /events</c> its server-sent events (<c>MapEventStream</c>), <c>GET /health</c> the feed's health check.
/// The first stdout line is the URL. Every response carries the security headers; a request whose <c>Host</c> is not one
/// the server answers to is refused (400) before any data; off loopback (or when asked) the page and the events need the
/// access token (<see cref="DashboardAccessToken"/>), <c>/health</c> stays open (it says only Healthy/Degraded/Unhealthy).
/// </summary>
internal static class DashboardCommand
{
    public const string AccessTokenVariable = "EVENTSTREAM_DASHBOARD_TOKEN";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var connection = new ConnectionOptions();
        var port = new Option<int>("--port") { Description = "Port to serve on (0: any free port)", DefaultValueFactory = _ => 0 };
        var listen = new Option<string>("--listen") { Description = "Address or host name to serve on (default 127.0.0.1: this machine only; 0.0.0.0: every interface)", DefaultValueFactory = _ => "127.0.0.1" };
        var allowedHosts = new Option<string[]>("--allowed-host") { Description = "Also answer to this Host name (repeatable); loopback names, the --listen name and, on 0.0.0.0, this machine's name and addresses are always allowed", DefaultValueFactory = _ => [] };
        var tokenFile = new Option<string?>("--access-token-file") { Description = $"Require this access token (the file's first line; or set {AccessTokenVariable}) instead of a random one printed in the URL" };
        var requireToken = new Option<bool>("--require-token") { Description = "Require an access token on loopback too (always required off loopback)" };
        var tlsCert = new Option<string?>("--tls-cert") { Description = $"Serve HTTPS with this certificate: PEM (with --tls-key) or .pfx/.p12 (password in {DashboardTls.PasswordVariable})" };
        var tlsKey = new Option<string?>("--tls-key") { Description = "The PEM private key of --tls-cert" };
        var command = new Command("dashboard", "Serve a live dashboard of the feed; the first line printed is its URL.");
        connection.AddTo(command);
        foreach (Option option in new Option[] { port, listen, allowedHosts, tokenFile, requireToken, tlsCert, tlsKey })
        {
            command.Options.Add(option);
        }

        command.SetStoppableAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            if (parse.GetValue(port) is < 0 or > 65_535)
            {
                return await Usage.FailAsync(parse, "--port must be between 0 and 65535.", error).ConfigureAwait(false);
            }

            (DashboardListen? network, string? listenError) = await DashboardListen.ResolveAsync(parse.GetValue(listen)!, parse.GetValue(allowedHosts) ?? [], cancellationToken).ConfigureAwait(false);
            if (network is null)
            {
                return await Usage.FailAsync(parse, listenError!, error).ConfigureAwait(false);
            }

            (DashboardAccessToken? token, bool tokenGiven, string? tokenError) = AccessToken(parse.GetValue(tokenFile), !network.IsLoopback || parse.GetValue(requireToken));
            if (tokenError is not null)
            {
                return await Usage.FailAsync(parse, tokenError, error).ConfigureAwait(false);
            }

            X509Certificate2? certificate = null;
            if (parse.GetValue(tlsCert) is { } certificateFile)
            {
                (certificate, string? tlsError) = DashboardTls.Load(certificateFile, parse.GetValue(tlsKey));
                if (certificate is null)
                {
                    return await Usage.FailAsync(parse, tlsError!, error).ConfigureAwait(false);
                }
            }
            else if (parse.GetValue(tlsKey) is not null)
            {
                return await Usage.FailAsync(parse, "--tls-key needs --tls-cert.", error).ConfigureAwait(false);
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
                builder.WebHost.UseKestrel(k => k.Listen(network.Address, parse.GetValue(port), l =>
                {
                    if (certificate is not null)
                    {
                        l.UseHttps(certificate);
                    }
                }));
                // The web host's defaults run HostFiltering first: a DNS-rebinding page's Host gets a 400 before anything else.
                builder.Services.AddHostFiltering(o => (o.AllowedHosts, o.AllowEmptyHosts) = ([.. network.AllowedHosts], false));
                builder.Services.Insert(0, ServiceDescriptor.Transient<IStartupFilter, SecurityHeadersStartupFilter>()); // every response, that 400 too
                if (token is not null)
                {
                    builder.Services.AddAuthentication(DashboardAccessToken.Scheme)
                        .AddScheme<DashboardAccessTokenOptions, DashboardAccessTokenHandler>(DashboardAccessToken.Scheme, o => o.Token = token);
                    builder.Services.AddAuthorization();
                }

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
                if (token is not null)
                {
                    app.Use(token.ExchangeAsync);
                    app.UseAuthentication();
                    app.UseAuthorization();
                }

                IEndpointConventionBuilder events = app.MapEventStream("/events");
                app.MapHealthChecks("/health"); // open: it says only Healthy, Degraded or Unhealthy (for probes)
                IEndpointConventionBuilder page = app.MapEventStreamDashboard();
                if (token is not null)
                {
                    events.RequireAuthorization();
                    page.RequireAuthorization();
                }

                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
                string url = $"{bound.Scheme}://{network.DisplayHost}:{bound.Port}/";
                // The first line is the URL (the ready signal); a generated token is in it, printed this once and nowhere else.
                await output.WriteLineAsync(token is not null && !tokenGiven ? $"{url}?{DashboardAccessToken.QueryName}={token.Value}" : url).ConfigureAwait(false);
                await output.FlushAsync(CancellationToken.None).ConfigureAwait(false); // the ready line goes out whatever happens next
                await Say(error, network, token, tokenGiven, certificate is not null).ConfigureAwait(false);
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

                certificate?.Dispose();
            }
        });
        return command;
    }

    /// <summary>The token to require: given (file, then environment), generated when required, or none.</summary>
    internal static (DashboardAccessToken? Token, bool Given, string? Error) AccessToken(string? file, bool required)
    {
        string? given;
        string source;
        if (file is not null)
        {
            try
            {
                given = File.ReadLines(file).FirstOrDefault()?.Trim() ?? "";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return (null, false, $"--access-token-file {file}: cannot read it ({e.GetType().Name}).");
            }

            source = "--access-token-file";
        }
        else
        {
            given = Environment.GetEnvironmentVariable(AccessTokenVariable);
            source = AccessTokenVariable;
        }

        if (string.IsNullOrEmpty(given))
        {
            return (required ? DashboardAccessToken.Generate() : null, false, null);
        }

        if (given.Length < DashboardAccessToken.MinimumLength || given.Any(char.IsWhiteSpace))
        {
            return (null, false, $"{source}: the access token must be at least {DashboardAccessToken.MinimumLength} characters, without spaces.");
        }

        return (new DashboardAccessToken(given), true, null);
    }

    private static async Task Say(TextWriter error, DashboardListen network, DashboardAccessToken? token, bool tokenGiven, bool tls)
    {
        string prefix = "eventstream dashboard:";
        await error.WriteLineAsync($"{prefix} answers to Host {string.Join(", ", network.AllowedHosts)} (others: --allowed-host)").ConfigureAwait(false);
        if (token is not null)
        {
            await error.WriteLineAsync(tokenGiven
                ? $"{prefix} the page and /events need the access token you gave (open the URL with ?{DashboardAccessToken.QueryName}=TOKEN once, or send Authorization: Bearer TOKEN)"
                : $"{prefix} the page and /events need the access token in the URL above (printed only there, this once); a browser keeps it as a cookie").ConfigureAwait(false);
        }

        if (!network.IsLoopback && !tls)
        {
            await error.WriteLineAsync($"{prefix} warning: serving {network.DisplayHost} over plain HTTP: the access token and the customer data cross the network unencrypted (--tls-cert and --tls-key serve HTTPS)").ConfigureAwait(false);
        }
    }
}
