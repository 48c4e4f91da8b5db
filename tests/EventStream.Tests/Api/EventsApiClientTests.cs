using System.Net;
using EventStream.Api;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;

namespace EventStream.Tests.Api;

/// <summary>The client against the simulator (and, for responses the simulator never gives, a stub) over real loopback HTTP.</summary>
public class EventsApiClientTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);

    private static async Task<(IntilerySimulator Simulator, List<SimulatedEvent> Events)> SimulatorWithEventsAsync(Action<SimulatorOptions>? configure = null)
    {
        IntilerySimulator simulator = await Loopback.StartAsync(configure);
        var events = new List<SimulatedEvent>();
        string[] actions = ["page", "identify", "order_completed"];
        for (int i = 0; i < 30; i++)
        {
            // Ten milliseconds, three events in each: ties on every millisecond.
            SimulatedEvent e = simulator.Events.Create(T0.AddMilliseconds(i / 3), T0.AddSeconds(1), T0, actions[i % 3]);
            simulator.Add(e);
            events.Add(e);
        }

        return (simulator, events);
    }

    [Fact]
    public async Task GetPage_SendsTokenAndContentTypeOnTheWire()
    {
        (IntilerySimulator simulator, _) = await SimulatorWithEventsAsync();
        await using IntilerySimulator owned = simulator;
        using EventsApiClient client = Loopback.ClientFor(simulator);

        EventPage page = await client.GetPageAsync(new EventsQuery { Size = 5 });

        RequestRecord request = Assert.Single(simulator.Requests);
        Assert.Equal("application/json", request.ContentType);
        Assert.True(request.HadValidToken);
        Assert.Equal(200, request.Status);
        Assert.Equal(request.RequestId, page.RequestId);
        Assert.Equal(5, page.Events.Count);
        Assert.Equal(30, page.Total);
    }

    [Fact]
    public async Task GetPage_NoSort_ApiDefaultIsNewestFirst_AscendingIsOldestFirst()
    {
        (IntilerySimulator simulator, List<SimulatedEvent> events) = await SimulatorWithEventsAsync();
        await using IntilerySimulator owned = simulator;
        using EventsApiClient client = Loopback.ClientFor(simulator);

        EventPage byDefault = await client.GetPageAsync(new EventsQuery { Size = 100 });
        EventPage ascending = await client.GetPageAsync(new EventsQuery { Sort = EventSort.Ascending });

        Assert.Equal(events.Select(e => e.EventId), ascending.Events.Select(e => e.EventId));
        Assert.Equal(ascending.Events.Select(e => e.EventTime).Reverse(), byDefault.Events.Select(e => e.EventTime));
    }

    [Fact]
    public async Task GetPage_FromAndSize_PageThroughTiesWithoutGapsOrRepeats()
    {
        (IntilerySimulator simulator, List<SimulatedEvent> events) = await SimulatorWithEventsAsync();
        await using IntilerySimulator owned = simulator;
        using EventsApiClient client = Loopback.ClientFor(simulator);

        var seen = new List<string>();
        for (int from = 0; from < 30; from += 7)
        {
            EventPage page = await client.GetPageAsync(new EventsQuery { Sort = EventSort.Ascending, From = from, Size = 7 });
            seen.AddRange(page.Events.Select(e => e.EventId));
        }

        Assert.Equal(events.Select(e => e.EventId), seen);
        Assert.Contains("from=28&size=7", simulator.Requests[^1].Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetPage_IncludeAndExclude_FilterOnTheServer()
    {
        (IntilerySimulator simulator, _) = await SimulatorWithEventsAsync();
        await using IntilerySimulator owned = simulator;
        using EventsApiClient client = Loopback.ClientFor(simulator);

        EventPage included = await client.GetPageAsync(new EventsQuery { Include = ["page", "identify"] });
        EventPage excluded = await client.GetPageAsync(new EventsQuery { Exclude = ["page", "identify"] });
        EventPage single = await client.GetPageAsync(new EventsQuery { Include = ["order_completed"] });

        Assert.Equal(20, included.Events.Count);
        Assert.All(included.Events, e => Assert.True(e.EventAction is "page" or "identify", e.EventAction));
        Assert.Equal(20, included.Total);
        Assert.All(excluded.Events, e => Assert.Equal("order_completed", e.EventAction));
        Assert.Equal(10, excluded.Events.Count);
        Assert.Equal(10, single.Total);
    }

    [Theory]
    [InlineData(false, 9)] // documented: start and end exclusive → ms 3..5 hold 3 events each
    [InlineData(true, 15)] // inclusive reading → ms 2..6
    public async Task GetPage_StartAndEnd_FollowTheServersBoundReading(bool inclusive, int expected)
    {
        (IntilerySimulator simulator, _) = await SimulatorWithEventsAsync(o => o.InclusiveBounds = inclusive);
        await using IntilerySimulator owned = simulator;
        using EventsApiClient client = Loopback.ClientFor(simulator);

        EventPage page = await client.GetPageAsync(new EventsQuery { Start = T0.AddMilliseconds(2), End = T0.AddMilliseconds(6), Sort = EventSort.Ascending });

        Assert.Equal(expected, page.Events.Count);
        Assert.Contains("start=2024-05-14T09%3A00%3A00.002Z", simulator.Requests[^1].Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetPage_InvalidQuery_FailsBeforeAnyRequest()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        using EventsApiClient client = Loopback.ClientFor(simulator);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => client.GetPageAsync(new EventsQuery { From = 9_950, Size = 100 }));

        Assert.Equal("From", ex.ParamName);
        Assert.Equal(0, simulator.RequestCount);
    }

    [Fact]
    public async Task GetPage_WrongToken_ThrowsAuthenticationErrorWithRequestId_NotRetried_TokenNotShown()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        var logger = new CapturingLogger();
        using EventsApiClient client = Loopback.ClientFor(simulator, o => { o.AuthToken = "wrong-secret-abc123"; o.Logger = logger; });

        var ex = await Assert.ThrowsAsync<EventsApiException>(() => client.GetPageAsync(new EventsQuery()));

        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
        Assert.Equal("authentication_error", ex.ErrorCode);
        Assert.False(ex.IsTransient);
        Assert.Equal(simulator.Requests.Single().RequestId, ex.RequestId);
        Assert.Contains(ex.RequestId!, ex.Message, StringComparison.Ordinal);
        Assert.Equal(1, simulator.RequestCount);
        Assert.DoesNotContain("wrong-secret-abc123", ex.ToString(), StringComparison.Ordinal);
        Assert.NotEmpty(logger.Lines);
        Assert.All(logger.Lines, line => Assert.DoesNotContain("wrong-secret-abc123", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetPage_UnknownBrand_ThrowsNotFound_NotRetried()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        using EventsApiClient client = Loopback.ClientFor(simulator, o => o.BrandId = "OTHER");

        var ex = await Assert.ThrowsAsync<EventsApiException>(() => client.GetPageAsync(new EventsQuery()));

        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);
        Assert.Equal("not_found", ex.ErrorCode);
        Assert.Equal(1, simulator.RequestCount);
    }

    [Fact]
    public async Task GetPage_RequestOverOneMegabyte_Throws413_NotRetried()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        using EventsApiClient client = Loopback.ClientFor(simulator);
        string[] many = [.. Enumerable.Range(0, 60_000).Select(i => "action_" + i.ToString("D8", System.Globalization.CultureInfo.InvariantCulture))];

        var ex = await Assert.ThrowsAsync<EventsApiException>(() => client.GetPageAsync(new EventsQuery { Include = many }));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, ex.StatusCode);
        Assert.False(ex.IsTransient);
        Assert.Equal(1, simulator.RequestCount);
    }

    [Fact]
    public async Task GetPage_ServerErrorsEveryTime_RetriesThenThrowsTheLastWithRequestId()
    {
        var logger = new CapturingLogger();
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.ErrorRate = 1);
        using EventsApiClient client = Loopback.ClientFor(simulator, o => { o.MaxRetries = 3; o.Logger = logger; });

        var ex = await Assert.ThrowsAsync<EventsApiException>(() => client.GetPageAsync(new EventsQuery()));

        Assert.True((int)ex.StatusCode! >= 500);
        Assert.Equal("internal_server_error", ex.ErrorCode);
        Assert.True(ex.IsTransient);
        Assert.Equal(4, simulator.RequestCount);
        Assert.Equal(3, client.Retries);
        Assert.Equal(simulator.Requests[^1].RequestId, ex.RequestId);
        Assert.Equal(3, logger.Lines.Count(l => l.Contains("retrying", StringComparison.Ordinal)));
        Assert.All(logger.Lines, line => Assert.DoesNotContain(simulator.Options.Token, line, StringComparison.Ordinal));
        Assert.DoesNotContain(simulator.Options.Token, ex.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("error")]
    [InlineData("truncated")]
    [InlineData("malformed")]
    public async Task GetPage_TransientFaults_AreRetriedUntilAGoodPage(string fault)
    {
        (IntilerySimulator simulator, List<SimulatedEvent> events) = await SimulatorWithEventsAsync(o =>
        {
            o.Seed = 3;
            o.ErrorRate = fault == "error" ? 0.6 : 0;
            o.TruncateRate = fault == "truncated" ? 0.6 : 0;
            o.MalformedRate = fault == "malformed" ? 0.6 : 0;
        });
        await using IntilerySimulator owned = simulator;
        using EventsApiClient client = Loopback.ClientFor(simulator, o => o.MaxRetries = 30);

        for (int i = 0; i < 10; i++)
        {
            EventPage page = await client.GetPageAsync(new EventsQuery { Sort = EventSort.Ascending });
            Assert.Equal(events.Select(e => e.EventId), page.Events.Select(e => e.EventId));
        }

        Assert.Contains(simulator.Requests, r => r.Fault == fault);
        Assert.Equal(simulator.Requests.Count(r => r.Fault is not null), client.Retries);
    }

    [Fact]
    public async Task GetPage_MalformedBodyOutlastingRetries_ThrowsFormatExceptionWithRequestIdAndOffset()
    {
        // Retried like any bad response; when every attempt is unreadable, the page's own error surfaces (not a
        // transient API error that a feed would retry forever), with the request id and where reading stopped.
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.MalformedRate = 1);
        using EventsApiClient client = Loopback.ClientFor(simulator, o => o.MaxRetries = 1);

        var ex = await Assert.ThrowsAsync<EventPageFormatException>(() => client.GetPageAsync(new EventsQuery()));

        Assert.Equal(1, client.Retries);
        Assert.Equal(simulator.Requests[^1].RequestId, ex.RequestId);
        Assert.Contains(simulator.Requests[^1].RequestId, ex.Message, StringComparison.Ordinal);
        Assert.NotNull(ex.BytePosition);
    }

    [Fact]
    public async Task GetPage_SlowerThanTimeout_TimesOutAndRetries()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.MaxAddedLatency = TimeSpan.FromSeconds(30));
        using EventsApiClient client = Loopback.ClientFor(simulator, o => { o.RequestTimeout = TimeSpan.FromMilliseconds(200); o.MaxRetries = 1; });

        var ex = await Assert.ThrowsAsync<EventsApiException>(() => client.GetPageAsync(new EventsQuery()));

        Assert.Equal("timeout", ex.ErrorCode);
        Assert.Null(ex.StatusCode);
        Assert.Equal(1, client.Retries);
    }

    [Fact]
    public async Task GetPage_CallerCancels_ThrowsOperationCanceled_NotRetried()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.MaxAddedLatency = TimeSpan.FromSeconds(30));
        using EventsApiClient client = Loopback.ClientFor(simulator);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetPageAsync(new EventsQuery(), cts.Token));

        Assert.Equal(0, client.Retries);
    }

    [Fact]
    public async Task GetPage_StrictServerLimit_HonoursRetryAfter()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.RequestsPerSecond = 1; o.Burst = 1; });
        using EventsApiClient client = Loopback.ClientFor(simulator);

        await client.GetPageAsync(new EventsQuery());
        await client.GetPageAsync(new EventsQuery());

        IReadOnlyList<RequestRecord> requests = simulator.Requests;
        Assert.Equal([200, 429, 200], requests.Select(r => r.Status));
        Assert.Equal(1, client.RateLimited);
        Assert.Equal(1, simulator.RateLimitedCount);
        // Retry-After said 1 second; the retry must not come sooner.
        Assert.True(requests[2].Time - requests[1].Time >= TimeSpan.FromSeconds(0.99), $"retried after {requests[2].Time - requests[1].Time}");
    }

    [Fact]
    public async Task GetPage_WithinTheDocumentedBudget_NeverGets429()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.RequestsPerSecond = 100; o.Burst = 100; });
        using EventsApiClient client = Loopback.ClientFor(simulator, o => { o.RequestsPerSecond = 100; o.Burst = 100; });

        await Parallel.ForEachAsync(Enumerable.Range(0, 250), new ParallelOptions { MaxDegreeOfParallelism = 8 },
            async (_, ct) => await client.GetPageAsync(new EventsQuery { Size = 1 }, ct));

        Assert.Equal(250, simulator.RequestCount);
        Assert.Equal(0, simulator.RateLimitedCount);
    }

    [Fact]
    public async Task Clients_SharingAToken_ShareOneBucket()
    {
        // Two clients each pacing themselves at the full rate would send twice what the server allows.
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.RequestsPerSecond = 50; o.Burst = 100; });
        using EventsApiClient a = Loopback.ClientFor(simulator, o => { o.RequestsPerSecond = 50; o.Burst = 100; });
        using EventsApiClient b = Loopback.ClientFor(simulator, o => { o.RequestsPerSecond = 50; o.Burst = 100; });

        await Task.WhenAll(
            Task.Run(async () => { for (int i = 0; i < 75; i++) await a.GetPageAsync(new EventsQuery { Size = 1 }); }),
            Task.Run(async () => { for (int i = 0; i < 75; i++) await b.GetPageAsync(new EventsQuery { Size = 1 }); }));

        Assert.Equal(150, simulator.RequestCount);
        Assert.Equal(0, simulator.RateLimitedCount);
    }

    [Fact]
    public async Task GetPage_ResponseOverTheCap_ThrowsTooLarge_NotRetried()
    {
        (IntilerySimulator simulator, _) = await SimulatorWithEventsAsync();
        await using IntilerySimulator owned = simulator;
        using EventsApiClient client = Loopback.ClientFor(simulator, o => o.MaxResponseBytes = 4096);

        var ex = await Assert.ThrowsAsync<EventsApiException>(() => client.GetPageAsync(new EventsQuery()));

        Assert.Equal("response_too_large", ex.ErrorCode);
        Assert.Equal(1, simulator.RequestCount);
    }

    [Fact]
    public async Task GetPage_Redirect_IsNotFollowed_SoTheTokenStaysHome()
    {
        await using StubServer elsewhere = await StubServer.StartAsync(_ => Task.CompletedTask);
        await using StubServer redirecting = await StubServer.StartAsync(context =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = elsewhere.BaseUrl + "c/a/b/v1/events";
            return Task.CompletedTask;
        });
        using var client = new EventsApiClient(new EventsApiOptions { BaseUrl = redirecting.BaseUrl, ClientId = "c", AccountId = "a", BrandId = "b", AuthToken = "secret-xyz" });

        var ex = await Assert.ThrowsAsync<EventsApiException>(() => client.GetPageAsync(new EventsQuery()));

        Assert.Equal(HttpStatusCode.Found, ex.StatusCode);
        Assert.Equal("redirect", ex.ErrorCode);
        Assert.Equal(0, elsewhere.Hits);
        Assert.Equal(1, redirecting.Hits);
    }

    [Theory]
    [InlineData(400, "validation_error", false)]
    [InlineData(403, "forbidden", false)]
    [InlineData(408, "timeout", true)]
    [InlineData(503, "internal_server_error", true)]
    public async Task GetPage_ErrorStatus_MapsToTypedExceptionAndRetryDecision(int status, string code, bool transient)
    {
        await using StubServer server = await StubServer.StartAsync(async context =>
        {
            context.Response.StatusCode = status;
            context.Response.Headers["x-amzn-RequestId"] = "req-" + status;
            await context.Response.WriteAsync("{\"error\":{\"code\":\"" + code + "\",\"message\":\"went wrong\"}}");
        });
        using var client = new EventsApiClient(new EventsApiOptions
        {
            BaseUrl = server.BaseUrl, ClientId = "c", AccountId = "a", BrandId = "b", AuthToken = "t",
            MaxRetries = 2, RetryBaseDelay = TimeSpan.FromMilliseconds(1), MaxRetryDelay = TimeSpan.FromMilliseconds(5),
        });

        var ex = await Assert.ThrowsAsync<EventsApiException>(() => client.GetPageAsync(new EventsQuery()));

        Assert.Equal(status, (int)ex.StatusCode!);
        Assert.Equal(code, ex.ErrorCode);
        Assert.Equal("went wrong", ex.ApiMessage);
        Assert.Equal("req-" + status, ex.RequestId);
        Assert.Equal(transient, ex.IsTransient);
        Assert.Equal(transient ? 3 : 1, server.Hits);
    }

    [Fact]
    public async Task GetPage_NonJsonErrorBody_StillCarriesStatusAndExcerpt()
    {
        await using StubServer server = await StubServer.StartAsync(async context =>
        {
            context.Response.StatusCode = 403;
            await context.Response.WriteAsync("<html>Forbidden</html>");
        });
        using var client = new EventsApiClient(new EventsApiOptions { BaseUrl = server.BaseUrl, ClientId = "c", AccountId = "a", BrandId = "b", AuthToken = "t" });

        var ex = await Assert.ThrowsAsync<EventsApiException>(() => client.GetPageAsync(new EventsQuery()));

        Assert.Equal(HttpStatusCode.Forbidden, ex.StatusCode);
        Assert.Null(ex.ErrorCode);
        Assert.Equal("<html>Forbidden</html>", ex.ApiMessage);
    }
}

/// <summary>Pages compressed by the server (as a gateway would): the client asks for gzip and reads them byte-exact.</summary>
public class CompressedPagesTests
{
    [Fact]
    public async Task GzipPages_AreAskedFor_SentCompressed_AndReadByteExact()
    {
        await using EventStream.Simulator.IntilerySimulator simulator = await Loopback.StartAsync(o => o.Compression = true);
        var events = simulator.AddBacklog(100, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1)).OrderBy(e => e.EventTime).ToList();

        // On the wire: gzip, several times smaller.
        using var raw = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(simulator.BaseUrl, "demo/demo/DEMO/v1/events?sort=asc&size=100"));
        request.Headers.Add("auth-token", simulator.Options.Token);
        request.Headers.AcceptEncoding.ParseAdd("gzip");
        request.Content = new ByteArrayContent([]) { Headers = { ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") } };
        using HttpResponseMessage response = await raw.SendAsync(request);
        byte[] compressed = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        int plain = EventStream.Simulator.SyntheticEvents.Page(events, 100).Length;
        Assert.True(compressed.Length * 3 < plain, $"{compressed.Length} B compressed vs {plain} B");

        // Through the client: the same events, each exactly as sent.
        using EventsApiClient client = Loopback.ClientFor(simulator);
        EventPage page = await client.GetPageAsync(new EventsQuery { Sort = EventSort.Ascending, Size = 100 });
        Assert.Equal(events.Select(e => e.Json), page.Events.Select(e => e.Json.ToArray()));
    }
}
