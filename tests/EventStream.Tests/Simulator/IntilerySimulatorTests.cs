using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Simulator;

/// <summary>The simulator checked from outside with plain HTTP, row by row against DESIGN.md §1.</summary>
public class IntilerySimulatorTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);

    private static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseMessage Response)> GetAsync(
        IntilerySimulator simulator, string query, string? token = "default", string? contentType = "application/json", string? path = null)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(simulator.BaseUrl, (path ?? "demo/demo/DEMO/v1/events") + query));
        if (token is not null)
        {
            request.Headers.Add("auth-token", token == "default" ? simulator.Options.Token : token);
        }

        if (contentType is not null)
        {
            request.Content = new ByteArrayContent([]) { Headers = { ContentType = MediaTypeHeaderValue.Parse(contentType) } };
        }

        HttpResponseMessage response = await http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone(), response);
    }

    private static async Task<IntilerySimulator> WithTiesAsync(Action<SimulatorOptions>? configure = null)
    {
        IntilerySimulator simulator = await Loopback.StartAsync(configure);
        for (int i = 0; i < 20; i++)
        {
            simulator.Add(simulator.Events.Create(T0.AddMilliseconds(i / 2), T0.AddSeconds(1), T0, i % 2 == 0 ? "page" : "identify"));
        }

        return simulator;
    }

    private static string[] Times(JsonElement body)
        => [.. body.GetProperty("data").EnumerateArray().Select(e => e.GetProperty("eventTime").GetString()!)];

    private static void AssertError(JsonElement body, string code)
    {
        Assert.Equal(code, body.GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetProperty("message").GetString()));
    }

    [Fact]
    public async Task Auth_MissingOrWrongToken_Is401AuthenticationError()
    {
        await using IntilerySimulator simulator = await WithTiesAsync();

        (HttpStatusCode missing, JsonElement missingBody, _) = await GetAsync(simulator, "", token: null);
        (HttpStatusCode wrong, JsonElement wrongBody, _) = await GetAsync(simulator, "", token: "nope");

        Assert.Equal(HttpStatusCode.Unauthorized, missing);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        AssertError(missingBody, "authentication_error");
        AssertError(wrongBody, "authentication_error");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("text/plain")]
    public async Task ContentType_MissingOrNotJson_Is400(string? contentType)
    {
        await using IntilerySimulator simulator = await WithTiesAsync();

        (HttpStatusCode status, JsonElement body, _) = await GetAsync(simulator, "", contentType: contentType);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertError(body, "invalid_request_error");
    }

    [Fact]
    public async Task ContentType_JsonWithCharset_IsAccepted()
    {
        await using IntilerySimulator simulator = await WithTiesAsync();

        (HttpStatusCode status, _, _) = await GetAsync(simulator, "", contentType: "application/json; charset=utf-8");

        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Theory]
    [InlineData("other/demo/DEMO/v1/events")]
    [InlineData("demo/other/DEMO/v1/events")]
    [InlineData("demo/demo/OTHER/v1/events")]
    [InlineData("demo/demo/DEMO/v2/events")]
    public async Task UnknownClientAccountOrBrand_Is404NotFound(string path)
    {
        await using IntilerySimulator simulator = await WithTiesAsync();

        (HttpStatusCode status, JsonElement body, _) = await GetAsync(simulator, "", path: path);

        Assert.Equal(HttpStatusCode.NotFound, status);
        AssertError(body, "not_found");
    }

    [Fact]
    public async Task EveryResponse_CarriesARequestId_SuccessCarriesTotal()
    {
        await using IntilerySimulator simulator = await WithTiesAsync();

        (_, JsonElement ok, HttpResponseMessage okResponse) = await GetAsync(simulator, "?size=3");
        (_, _, HttpResponseMessage errorResponse) = await GetAsync(simulator, "", token: null);

        Assert.NotEmpty(okResponse.Headers.GetValues("x-amzn-RequestId").Single());
        Assert.NotEmpty(errorResponse.Headers.GetValues("x-amzn-RequestId").Single());
        Assert.Equal(20, ok.GetProperty("total").GetInt64());
        Assert.Equal(3, ok.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Sort_DefaultIsDesc_AscAndDescAreHonoured()
    {
        await using IntilerySimulator simulator = await WithTiesAsync();

        string[] byDefault = Times((await GetAsync(simulator, "?size=100")).Body);
        string[] asc = Times((await GetAsync(simulator, "?size=100&sort=asc")).Body);
        string[] desc = Times((await GetAsync(simulator, "?size=100&sort=desc")).Body);

        Assert.Equal(asc.Order(StringComparer.Ordinal), asc);
        Assert.Equal(asc.Reverse(), desc);
        Assert.Equal(desc, byDefault);
    }

    [Theory]
    [InlineData("?sort=up")]
    [InlineData("?size=0")]
    [InlineData("?size=101")]
    [InlineData("?size=ten")]
    [InlineData("?from=-1")]
    [InlineData("?from=9901&size=100")]
    [InlineData("?start=yesterday")]
    [InlineData("?end=2024-13-45T00:00:00Z")]
    [InlineData("?start=2024-05-14T10:00:00Z&end=2024-05-14T09:00:00Z")]
    [InlineData("?include=page,,identify")]
    [InlineData("?exclude=")]
    public async Task InvalidParameter_Is400ValidationError(string query)
    {
        await using IntilerySimulator simulator = await WithTiesAsync();

        (HttpStatusCode status, JsonElement body, _) = await GetAsync(simulator, query);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        AssertError(body, "validation_error");
    }

    [Fact]
    public async Task FromPlusSize_AtTheWindow_IsAccepted_BeyondIsTheElasticsearchError()
    {
        await using IntilerySimulator simulator = await WithTiesAsync();

        (HttpStatusCode edge, _, _) = await GetAsync(simulator, "?from=9900&size=100");
        (HttpStatusCode beyond, JsonElement body, _) = await GetAsync(simulator, "?from=9901&size=100");

        Assert.Equal(HttpStatusCode.OK, edge);
        Assert.Equal(HttpStatusCode.BadRequest, beyond);
        Assert.Contains("Result window is too large", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task IncludeAndExclude_FilterByAction()
    {
        await using IntilerySimulator simulator = await WithTiesAsync();

        JsonElement include = (await GetAsync(simulator, "?size=100&include=page")).Body;
        JsonElement exclude = (await GetAsync(simulator, "?size=100&exclude=page,identify")).Body;

        Assert.Equal(10, include.GetProperty("total").GetInt64());
        Assert.All(include.GetProperty("data").EnumerateArray(), e => Assert.Equal("page", e.GetProperty("eventAction").GetString()));
        Assert.Equal(0, exclude.GetProperty("total").GetInt64());
    }

    [Theory]
    [InlineData(false, 4)] // exclusive: ms 3 and 4, two events each
    [InlineData(true, 8)]  // inclusive: ms 2..5
    public async Task StartAndEnd_ExclusiveByDefault_InclusiveWhenConfigured(bool inclusive, int expected)
    {
        await using IntilerySimulator simulator = await WithTiesAsync(o => o.InclusiveBounds = inclusive);

        JsonElement body = (await GetAsync(simulator, "?size=100&start=2024-05-14T09:00:00.002Z&end=2024-05-14T09:00:00.005Z")).Body;

        Assert.Equal(expected, body.GetProperty("data").GetArrayLength());
        Assert.Equal(expected, body.GetProperty("total").GetInt64());
    }

    [Fact]
    public async Task RateLimit_BeyondTheBucket_Is429WithRetryAfter()
    {
        await using IntilerySimulator simulator = await WithTiesAsync(o => { o.RequestsPerSecond = 1; o.Burst = 2; });

        HttpStatusCode[] statuses = new HttpStatusCode[3];
        HttpResponseMessage? limited = null;
        JsonElement body = default;
        for (int i = 0; i < 3; i++)
        {
            (statuses[i], JsonElement b, HttpResponseMessage r) = await GetAsync(simulator, "");
            if (statuses[i] == HttpStatusCode.TooManyRequests)
            {
                (limited, body) = (r, b);
            }
        }

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
        AssertError(body, "rate_limit_error");
        Assert.True(limited!.Headers.RetryAfter!.Delta >= TimeSpan.FromSeconds(1));
        Assert.Equal(1, simulator.RateLimitedCount);
    }

    [Fact]
    public async Task RequestOverOneMegabyte_Is413()
    {
        await using IntilerySimulator simulator = await WithTiesAsync();

        (HttpStatusCode status, JsonElement body, _) = await GetAsync(simulator, "?include=" + new string('a', 1_100_000));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.True(body.TryGetProperty("error", out _));
    }

    [Fact]
    public async Task IndexDelay_EventIsInvisibleUntilItsTime()
    {
        var time = new FakeTimeProvider(T0.AddMinutes(1));
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.TimeProvider = time);
        simulator.Add(simulator.Events.Create(T0, T0.AddMinutes(1), T0.AddMinutes(1).AddSeconds(2)));

        long before = (await GetAsync(simulator, "")).Body.GetProperty("total").GetInt64();
        time.Advance(TimeSpan.FromSeconds(2));
        long after = (await GetAsync(simulator, "")).Body.GetProperty("total").GetInt64();

        Assert.Equal(0, before);
        Assert.Equal(1, after);
    }

    [Fact]
    public async Task Faults_SameSeed_SameSchedule()
    {
        async Task<string?[]> RunAsync()
        {
            await using IntilerySimulator simulator = await WithTiesAsync(o => { o.Seed = 42; o.ErrorRate = 0.2; o.MalformedRate = 0.2; o.TruncateRate = 0.2; });
            for (int i = 0; i < 30; i++)
            {
                try
                {
                    await GetAsync(simulator, "");
                }
                catch (Exception ex) when (ex is HttpRequestException or JsonException or IOException)
                {
                }
            }

            return [.. simulator.Requests.Select(r => r.Fault)];
        }

        string?[] first = await RunAsync();
        string?[] second = await RunAsync();

        Assert.Equal(first, second);
        Assert.Contains("error", first);
        Assert.Contains("malformed", first);
        Assert.Contains("truncated", first);
    }

    [Fact]
    public async Task Backlog_EventsFitTheTrackingPlanAndHaveStableCustomers()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Backlog = 2000; o.BurstShare = 0.2; o.MaxBurstSize = 50; });

        IReadOnlyList<SimulatedEvent> events = simulator.Snapshot();
        Assert.Equal(2000, events.Count);
        Assert.True(events.GroupBy(e => e.EventTime).Max(g => g.Count()) >= 2, "expected same-millisecond bursts");
        var customers = events.Select(e => JsonDocument.Parse(e.Json).RootElement.GetProperty("customerId").GetString()).Distinct().Count();
        Assert.InRange(customers, 50, 500);
        var order = events.First(e => e.Action == "order_completed");
        JsonElement properties = JsonDocument.Parse(order.Json).RootElement.GetProperty("rawData").GetProperty("properties");
        if (properties.TryGetProperty("total", out JsonElement total))
        {
            Assert.Equal(JsonValueKind.Number, total.ValueKind);
        }

        Assert.All(events.Where(e => e.Action == "identify"), e => Assert.True(JsonDocument.Parse(e.Json).RootElement.GetProperty("rawData").TryGetProperty("traits", out _)));
    }

    [Fact]
    public async Task BacklogAge_BacklogSpansTheHourEndingThatLongBeforeStart()
    {
        var time = new FakeTimeProvider(T0);
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.TimeProvider = time; o.Backlog = 500; o.BacklogAge = TimeSpan.FromHours(2); });

        IReadOnlyList<SimulatedEvent> events = simulator.Snapshot();

        Assert.Equal(500, events.Count);
        Assert.All(events, e => Assert.InRange(e.EventTime, T0.AddHours(-3), T0.AddHours(-2)));
        Assert.Throws<ArgumentException>(() => new SimulatorOptions { BacklogAge = TimeSpan.FromSeconds(-1) }.Validate());
    }

    [Fact]
    public async Task LiveTraffic_AddsEventsAtTheRate_WithLateShare()
    {
        var time = new FakeTimeProvider(T0);
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.TimeProvider = time; o.LiveRate = 100; o.LateShare = 0.5; o.MaxLate = TimeSpan.FromSeconds(30); });

        for (int i = 0; i < 100; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(20));
        }

        IReadOnlyList<SimulatedEvent> events = simulator.Snapshot();
        Assert.InRange(events.Count, 195, 205);
        Assert.Contains(events, e => e.ReceivedTime - e.EventTime > TimeSpan.FromSeconds(1));
        Assert.All(events, e => Assert.True(e.ReceivedTime >= e.EventTime));
    }

    [Fact]
    public void Options_Invalid_ThrowNamingTheOption()
    {
        var ex = Assert.Throws<ArgumentException>(() => new SimulatorOptions { LateShare = 2 }.Validate());
        Assert.Equal(nameof(SimulatorOptions.LateShare), ex.ParamName);
    }

    [Fact]
    public async Task Retention_QueryIntoTheDroppedRange_AnswersEmpty_TotalCountsWhatIsHeld()
    {
        var time = new FakeTimeProvider(T0);
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.TimeProvider = time; o.LiveRate = 50; o.MaxIndexDelay = TimeSpan.Zero; o.Retention = TimeSpan.FromMinutes(1); });
        for (int i = 0; i < 150; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1)); // 150 s of traffic, a one-minute window
        }

        JsonElement dropped = (await GetAsync(simulator, "?size=100&start=2024-05-14T08:59:00Z&end=2024-05-14T09:01:00Z")).Body;
        JsonElement all = (await GetAsync(simulator, "?size=100&sort=asc")).Body;
        DateTimeOffset oldest = DateTimeOffset.Parse(Times(all)[0], System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(0, dropped.GetProperty("total").GetInt64());
        Assert.Equal(0, dropped.GetProperty("data").GetArrayLength());
        Assert.Equal(simulator.EventCount, all.GetProperty("total").GetInt64()); // what is held (all visible: the clock is still)
        Assert.InRange(simulator.EventCount, 2_700, 3_300);
        Assert.True(oldest >= time.GetUtcNow().AddMinutes(-1), $"oldest served {oldest:O}");
        Assert.InRange(simulator.DroppedEventCount, 4_200, 4_800);
    }

    [Fact]
    public async Task MaxEvents_SplitAcrossBrands_HoldsAtMostTheCap()
    {
        var time = new FakeTimeProvider(T0);
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.TimeProvider = time; o.Brands = 3; o.MaxEvents = 300; o.Backlog = 2_000; });

        Assert.InRange(simulator.EventCount, 1, 300);
        Assert.All(simulator.Brands, b => Assert.Equal(100, b.EventCount));
        Assert.Equal(2_000 - simulator.EventCount, simulator.DroppedEventCount);
    }

    [Fact]
    public async Task Requests_KeepsTheNewestMaxLoggedRequests_InArrivalOrder()
    {
        await using IntilerySimulator simulator = await WithTiesAsync(o => o.MaxLoggedRequests = 3);
        for (int size = 1; size <= 5; size++)
        {
            await GetAsync(simulator, $"?size={size}");
        }

        Assert.Equal(["?size=3", "?size=4", "?size=5"], simulator.Requests.Select(r => r.Query));
        Assert.Equal(5, simulator.RequestCount);
    }

    [Theory]
    [InlineData(nameof(SimulatorOptions.Retention))]
    [InlineData(nameof(SimulatorOptions.MaxEvents))]
    [InlineData(nameof(SimulatorOptions.MaxLoggedRequests))]
    public void Options_InvalidRetention_ThrowNamingTheOption(string name)
    {
        var options = new SimulatorOptions();
        switch (name)
        {
            case nameof(SimulatorOptions.Retention): options.Retention = TimeSpan.Zero; break;
            case nameof(SimulatorOptions.MaxEvents): options.MaxEvents = 0; break;
            default: options.MaxLoggedRequests = -1; break;
        }

        var ex = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(name, ex.ParamName);
    }
}
