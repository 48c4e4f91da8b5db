using EventStream.Feed;
using Microsoft.Extensions.Hosting;

namespace EventStream.AspNetCore.Hosting.Internal;

/// <summary>
/// Ties a feed's life to the host's: polling starts with the app, and stops (checkpoint saved) when the host begins to
/// stop — before the server drains its requests, so a server-sent-event stream ends with everything the feed delivered.
/// </summary>
internal sealed class EventFeedHostedService(EventFeed feed) : IHostedLifecycleService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = feed.Connect(); // the handle disposes the feed; StopAsync does that itself
        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken cancellationToken) => await feed.DisposeAsync().ConfigureAwait(false);

    public async Task StopAsync(CancellationToken cancellationToken) => await feed.DisposeAsync().ConfigureAwait(false);

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
