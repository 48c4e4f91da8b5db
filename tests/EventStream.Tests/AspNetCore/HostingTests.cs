using System.Net;
using EventStream.AspNetCore.Health;
using EventStream.AspNetCore.Hosting;
using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace EventStream.Tests.AspNetCore;

/// <summary>A real ASP.NET Core app on loopback with feeds from configuration, against the simulator.</summary>
public class HostingTests
{
    private static WebApplication App(Dictionary<string, string?> settings, Action<WebApplicationBuilder> configure)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        configure(builder);
        WebApplication app = builder.Build();
        app.MapHealthChecks("/health");
        return app;
    }

    private static Dictionary<string, string?> Settings(IntilerySimulator simulator, string prefix = "EventStream") => new()
    {
        [$"{prefix}:BaseUrl"] = simulator.BaseUrl.ToString(),
        [$"{prefix}:ClientId"] = simulator.Options.ClientId,
        [$"{prefix}:AccountId"] = simulator.Options.AccountId,
        [$"{prefix}:BrandId"] = simulator.Options.BrandId,
        [$"{prefix}:AuthToken"] = simulator.Options.Token,
        [$"{prefix}:Start"] = "beginning",
        [$"{prefix}:MaxLateness"] = "00:00:02",
    };

    [Fact]
    public async Task FeedFromConfiguration_StartsWithTheApp_IsHealthyWhenLive_SavesItsCheckpointOnShutdown()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        IReadOnlyList<SimulatedEvent> backlog = simulator.AddBacklog(700, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        string checkpoint = Path.Combine(Path.GetTempPath(), $"eventstream-host-{Guid.NewGuid():N}.json");
        Dictionary<string, string?> settings = Settings(simulator);
        settings["EventStream:CheckpointFile"] = checkpoint;
        await using WebApplication app = App(settings, b =>
        {
            b.Services.AddEventFeed();
            b.Services.AddHealthChecks().AddEventFeedHealthCheck();
        });
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        EventFeed feed = app.Services.GetRequiredService<EventFeed>();
        var ids = new List<string>();
        await foreach (IntileryEvent e in feed.ReadAllAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
        {
            ids.Add(e.EventId);
            if (ids.Count == backlog.Count)
            {
                break;
            }
        }

        Assert.Equal(backlog.OrderBy(e => e.EventTime).Select(e => e.EventId).Order(), ids.Order());
        string health = "";
        await Wait.UntilAsync(async () => (health = await http.GetStringAsync("/health")) == "Healthy", "the health check reads Healthy", TimeSpan.FromSeconds(10));
        Assert.Equal("Healthy", health);
        await app.StopAsync();
        FeedCheckpoint? saved = await new FileCheckpointStore(checkpoint).LoadAsync(CancellationToken.None);
        Assert.NotNull(saved);
        // Saved on shutdown: what the reader took is recorded (by position, or as a seen id after it), so a restart repeats
        // nothing. The last event counts as taken only when the next is asked for, and the loop broke out instead.
        Assert.Contains(saved.Seen, s => s.EventId == ids[^2]);
        Assert.DoesNotContain(saved.Seen, s => s.EventId == ids[^1]);
        File.Delete(checkpoint);
    }

    [Fact]
    public async Task ReadmeExample_RunsAsWritten()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        simulator.AddBacklog(120, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(Settings(simulator));

        #region README: aspnetcore
        builder.Services.AddEventFeed(); // from "EventStream": { "ClientId": …, "BrandId": …, "Start": "beginning", … }
        builder.Services.AddHealthChecks().AddEventFeedHealthCheck();

        WebApplication app = builder.Build();
        app.MapHealthChecks("/health");
        app.MapGet("/latest", (EventFeed feed) => new { feed.LastEventTime, feed.Counters.Events, feed.CurrentStatus.State });
        #endregion

        await using (app)
        {
            await app.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            EventFeed feed = app.Services.GetRequiredService<EventFeed>();
            int n = 0;
            await foreach (IntileryEvent _ in feed.ReadAllAsync().WithCancellation(new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token))
            {
                if (++n == 120)
                {
                    break;
                }
            }

            string latest = await http.GetStringAsync("/latest");
            Assert.Contains("\"events\":120", latest, StringComparison.Ordinal);
            string health = await http.GetStringAsync("/health");
            Assert.True(health is "Healthy" or "Degraded", health);
        }
    }

    [Theory]
    [InlineData("EventStream:ClientId", "", "EventStream:ClientId")]
    [InlineData("EventStream:BaseUrl", "http://tracking.example.com/track/", "EventStream:BaseUrl: BaseUrl must use https")]
    [InlineData("EventStream:Start", "yesterday", "EventStream:Start: must be now, beginning, latest:N")]
    [InlineData("EventStream:MaxLateness", "-00:00:01", "EventStream:MaxLateness")]
    [InlineData("EventStream:HoldBack", "00:05:00", "EventStream:HoldBack: HoldBack must be between 0 and 1 minute")]
    public async Task InvalidSettings_FailAtStartup_NamingTheKey_NeverTheToken(string key, string value, string expected)
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        Dictionary<string, string?> settings = Settings(simulator);
        settings[key] = value;
        await using WebApplication app = App(settings, b => { b.Services.AddEventFeed(); b.Services.AddHealthChecks(); });

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(simulator.Options.Token, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NamedFeeds_ResolveByName_EachWithItsOwnSettings_AndAFaultedOneIsUnhealthy()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        simulator.AddBacklog(50, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        Dictionary<string, string?> settings = new(Settings(simulator, "EventStream:Feeds:good").Concat(Settings(simulator, "EventStream:Feeds:bad")));
        settings["EventStream:Feeds:bad:AuthToken"] = "not-the-token";
        await using WebApplication app = App(settings, b =>
        {
            b.Services.AddEventFeed("good");
            b.Services.AddEventFeed("bad");
            b.Services.AddHealthChecks().AddEventFeedHealthCheck("good").AddEventFeedHealthCheck("bad");
        });
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        EventFeed good = app.Services.GetRequiredKeyedService<EventFeed>("good");
        EventFeed bad = app.Services.GetRequiredKeyedService<EventFeed>("bad");
        Assert.NotSame(good, bad);
        await Assert.ThrowsAsync<EventStream.Api.EventsApiException>(async () =>
        {
            await foreach (IntileryEvent _ in bad.ReadAllAsync())
            {
            }
        });
        HttpResponseMessage response = await http.GetAsync("/health");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("Unhealthy", await response.Content.ReadAsStringAsync());
        await app.StopAsync();
    }
}
