using EventStream.Webhooks;
using static EventStream.Tests.Webhooks.WebhookTestKit;

namespace EventStream.Tests.Webhooks;

public class WebhookRouteTests
{
    private static WebhookRoute Route(string url = "https://example.com/hook", IReadOnlyList<string>? secrets = null) => new() { Name = "r", Endpoint = new Uri(url), Secrets = secrets ?? [] };

    [Fact]
    public void Matches_IncludeExcludeAndPropertyFilters_WithWherePropertySemantics()
    {
        var route = new WebhookRoute
        {
            Name = "r",
            Endpoint = new Uri("https://example.com/"),
            Include = ["email_clicked", "page"],
            Exclude = ["page"],
            Properties = [WebhookPropertyFilter.Is("campaign", "spring")],
        };

        Assert.True(route.Matches(Event("1", "c", "email_clicked", properties: "{\"campaign\":\"spring\"}")));
        Assert.False(route.Matches(Event("2", "c", "email_clicked", properties: "{\"campaign\":\"autumn\"}")));
        Assert.False(route.Matches(Event("3", "c", "email_clicked"))); // no such property: no match
        Assert.False(route.Matches(Event("4", "c", "page", properties: "{\"campaign\":\"spring\"}"))); // excluded
        Assert.False(route.Matches(Event("5", "c", "order_completed", properties: "{\"campaign\":\"spring\"}"))); // not included
    }

    [Fact]
    public void Validate_PlainHttpOffLoopback_RefusedNamingEndpoint_UnlessAllowed()
    {
        var ex = Assert.Throws<ArgumentException>(() => Route("http://hooks.example.com/x").Validate());
        Assert.Equal("Endpoint", ex.ParamName);
        Assert.Contains("https", ex.Message, StringComparison.Ordinal);
        new WebhookRoute { Name = "r", Endpoint = new Uri("http://hooks.example.com/x"), AllowInsecureHttp = true }.Validate();
        Route("http://127.0.0.1:8080/x").Validate();
    }

    [Fact]
    public void Validate_BadSecret_NamedWithoutShowingIt()
    {
        const string bad = "whsec_not-base64-$$$-topsecretvalue";
        var ex = Assert.Throws<ArgumentException>(() => Route(secrets: [Secret1, bad]).Validate());
        Assert.Equal("Secrets", ex.ParamName);
        Assert.Contains("Secrets[1]", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("topsecretvalue", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_HeaderThatWouldOverrideASignatureHeader_Refused()
    {
        var route = new WebhookRoute { Name = "r", Endpoint = new Uri("https://example.com/"), Headers = new Dictionary<string, string> { ["webhook-id"] = "x" } };
        Assert.Equal("Headers", Assert.Throws<ArgumentException>(route.Validate).ParamName);
    }

    [Fact]
    public void ToString_ShowsNameAndHostNeverThePathOrSecrets()
    {
        WebhookRoute route = Route("https://hooks.zapier.com/hooks/catch/123/abcsecret/", [Secret1]);
        Assert.Equal("r (https://hooks.zapier.com/…)", route.ToString());
    }

    [Theory]
    [InlineData(nameof(WebhookForwarderOptions.Routes))]
    [InlineData(nameof(WebhookForwarderOptions.RetrySchedule))]
    [InlineData(nameof(WebhookForwarderOptions.Jitter))]
    [InlineData(nameof(WebhookForwarderOptions.AttemptTimeout))]
    public void ForwarderOptions_Invalid_FailAtConstructionNamingTheOption(string option)
    {
        var options = new WebhookForwarderOptions { Routes = [Route()], DeadLetterPath = TempFile("x") };
        switch (option)
        {
            case nameof(WebhookForwarderOptions.Routes): options.Routes = [Route(), Route()]; break;
            case nameof(WebhookForwarderOptions.RetrySchedule): options.RetrySchedule = []; break;
            case nameof(WebhookForwarderOptions.Jitter): options.Jitter = 2; break;
            case nameof(WebhookForwarderOptions.AttemptTimeout): options.AttemptTimeout = TimeSpan.Zero; break;
        }

        Assert.Equal(option, Assert.Throws<ArgumentException>(() => new WebhookForwarder(options)).ParamName);
    }

    [Fact]
    public void RetrySchedule_JitterSpreadsTheStep_AndALaterRetryAfterWins()
    {
        IReadOnlyList<TimeSpan> schedule = WebhookForwarderOptions.DefaultRetrySchedule;
        Assert.Equal(TimeSpan.FromSeconds(4), EventStream.Webhooks.Internal.RetrySchedule.Next(schedule, 1, 0.2, null, 0.0));
        Assert.Equal(TimeSpan.FromSeconds(6), EventStream.Webhooks.Internal.RetrySchedule.Next(schedule, 1, 0.2, null, 1.0));
        Assert.Equal(TimeSpan.FromMinutes(2), EventStream.Webhooks.Internal.RetrySchedule.Next(schedule, 1, 0.2, TimeSpan.FromMinutes(2), 0.5));
        Assert.Equal(TimeSpan.FromMinutes(5), EventStream.Webhooks.Internal.RetrySchedule.Next(schedule, 2, 0.2, TimeSpan.FromSeconds(1), 0.5));
        Assert.Null(EventStream.Webhooks.Internal.RetrySchedule.Next(schedule, 7, 0.2, null, 0.5));
    }
}
