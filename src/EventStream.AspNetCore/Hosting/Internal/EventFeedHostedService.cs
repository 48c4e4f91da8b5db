using EventStream.Feed;
using Microsoft.Extensions.Hosting;

namespace EventStream.AspNetCore.Hosting.Internal;

/// <summary>Ties a feed's life to the host's: polling starts with the app, and stops (checkpoint saved) on shutdown.</summary>
internal sealed class EventFeedHostedService(EventFeed feed) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = feed.Connect(); // the handle disposes the feed; StopAsync does that itself
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken) => await feed.DisposeAsync().ConfigureAwait(false);
}
