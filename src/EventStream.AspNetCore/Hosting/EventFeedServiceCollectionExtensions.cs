using System.Net;
using EventStream.Api;
using EventStream.AspNetCore.Hosting.Internal;
using EventStream.Feed;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventStream.AspNetCore.Hosting;

/// <summary>Registers feeds in a service collection.</summary>
public static class EventFeedServiceCollectionExtensions
{
    /// <summary>
    /// Registers an <see cref="EventFeed"/> bound from configuration — the section <c>EventStream</c> for the default feed
    /// (resolve <see cref="EventFeed"/>), <c>EventStream:Feeds:{name}</c> for a named one (resolve it keyed by name) —
    /// validated when the host starts (each error names its key). Its HTTP handler comes from <see cref="IHttpClientFactory"/>
    /// (the named client <c>EventStream</c>, or <c>EventStream:{name}</c>: add handlers to it), its logger and clock from DI,
    /// and its life is the host's: it starts with the app and stops, checkpoint saved, on shutdown.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The feed's name, or <see langword="null"/> for the default feed.</param>
    /// <param name="configure">Settings in code, applied after configuration.</param>
    /// <returns>The named HTTP client's builder, to add handlers.</returns>
    public static IHttpClientBuilder AddEventFeed(this IServiceCollection services, string? name = null, Action<EventFeedSettings>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        string optionsName = name ?? Options.DefaultName;
        string section = name is null ? EventFeedSettings.Section : $"{EventFeedSettings.Section}:Feeds:{name}";
        string clientName = name is null ? "EventStream" : $"EventStream:{name}";

        OptionsBuilder<EventFeedSettings> options = services.AddOptions<EventFeedSettings>(optionsName).BindConfiguration(section);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<EventFeedSettings>>(new SettingsValidator(optionsName, section));
        services.TryAddSingleton(TimeProvider.System);

        services.AddKeyedSingleton(name, (sp, _) =>
        {
            EventFeedSettings settings = sp.GetRequiredService<IOptionsMonitor<EventFeedSettings>>().Get(optionsName);
            (EventsApiOptions api, FeedOptions feed) = FeedFactory.Build(settings, sp.GetService<ILoggerFactory>(), sp.GetRequiredService<TimeProvider>());
            HttpMessageHandler handler = sp.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(clientName);
            return new FeedHolder(new EventsApiClient(api, handler, disposeHandler: false), feed);
        });
        if (name is null)
        {
            services.AddSingleton(sp => sp.GetRequiredKeyedService<FeedHolder>(null).Feed);
        }
        else
        {
            services.AddKeyedSingleton(name, (sp, key) => sp.GetRequiredKeyedService<FeedHolder>(key).Feed);
        }

        services.AddSingleton<IHostedService>(sp => new EventFeedHostedService(sp.GetRequiredKeyedService<FeedHolder>(name).Feed));

        // The client keeps its handler for the feed's life: connections are recycled by the primary handler instead.
        return services.AddHttpClient(clientName)
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                AllowAutoRedirect = false, // a redirect would carry the token elsewhere
                AutomaticDecompression = DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                ConnectTimeout = TimeSpan.FromSeconds(5),
            });
    }

    /// <summary>Names every invalid setting by its configuration key (e.g. <c>EventStream:ClientId</c>).</summary>
    private sealed class SettingsValidator(string optionsName, string section) : IValidateOptions<EventFeedSettings>
    {
        public ValidateOptionsResult Validate(string? name, EventFeedSettings options)
            => name != optionsName ? ValidateOptionsResult.Skip
                : FeedFactory.Problem(options, section) is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
    }
}

/// <summary>A feed and the client it owns (disposed with the container).</summary>
internal sealed class FeedHolder(EventsApiClient client, FeedOptions options) : IAsyncDisposable
{
    public EventFeed Feed { get; } = new(client, options);

    public async ValueTask DisposeAsync()
    {
        await Feed.DisposeAsync().ConfigureAwait(false);
        client.Dispose();
    }
}
