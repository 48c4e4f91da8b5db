using EventStream.Api;

namespace EventStream.Tests.Api;

public class EventsApiOptionsTests
{
    private static EventsApiOptions Valid() => new()
    {
        ClientId = "c",
        AccountId = "a",
        BrandId = "b",
        AuthToken = "secret-token-value",
    };

    public static TheoryData<string> InvalidOptions => new()
    {
        nameof(EventsApiOptions.BaseUrl), nameof(EventsApiOptions.ClientId), nameof(EventsApiOptions.AccountId),
        nameof(EventsApiOptions.BrandId), nameof(EventsApiOptions.AuthToken), nameof(EventsApiOptions.RequestTimeout),
        nameof(EventsApiOptions.MaxRetries), nameof(EventsApiOptions.RetryBaseDelay), nameof(EventsApiOptions.MaxRetryDelay),
        nameof(EventsApiOptions.RequestsPerSecond), nameof(EventsApiOptions.Burst), nameof(EventsApiOptions.MaxResponseBytes),
    };

    [Theory]
    [MemberData(nameof(InvalidOptions))]
    public void Constructor_InvalidOption_ThrowsNamingIt(string option)
    {
        EventsApiOptions options = Valid();
        switch (option)
        {
            case nameof(EventsApiOptions.BaseUrl): options.BaseUrl = new Uri("ftp://example.com/"); break;
            case nameof(EventsApiOptions.ClientId): options.ClientId = ""; break;
            case nameof(EventsApiOptions.AccountId): options.AccountId = "a/b"; break;
            case nameof(EventsApiOptions.BrandId): options.BrandId = " "; break;
            case nameof(EventsApiOptions.AuthToken): options.AuthToken = ""; break;
            case nameof(EventsApiOptions.RequestTimeout): options.RequestTimeout = TimeSpan.Zero; break;
            case nameof(EventsApiOptions.MaxRetries): options.MaxRetries = -1; break;
            case nameof(EventsApiOptions.RetryBaseDelay): options.RetryBaseDelay = TimeSpan.FromSeconds(-1); break;
            case nameof(EventsApiOptions.MaxRetryDelay): options.MaxRetryDelay = TimeSpan.FromMilliseconds(1); break;
            case nameof(EventsApiOptions.RequestsPerSecond): options.RequestsPerSecond = 0; break;
            case nameof(EventsApiOptions.Burst): options.Burst = 0; break;
            case nameof(EventsApiOptions.MaxResponseBytes): options.MaxResponseBytes = 10; break;
        }

        var ex = Assert.Throws<ArgumentException>(() => new EventsApiClient(options));
        Assert.Equal(option, ex.ParamName);
        Assert.DoesNotContain("secret-token-value", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_TokenWithLineBreak_ThrowsWithoutShowingIt()
    {
        EventsApiOptions options = Valid();
        options.AuthToken = "secret-token-value\r\nx-injected: 1";

        var ex = Assert.Throws<ArgumentException>(() => new EventsApiClient(options));
        Assert.Equal(nameof(EventsApiOptions.AuthToken), ex.ParamName);
        Assert.DoesNotContain("secret-token-value", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_NeverShowsTheToken()
    {
        EventsApiOptions options = Valid();

        Assert.DoesNotContain("secret-token-value", options.ToString(), StringComparison.Ordinal);
        Assert.Contains("***", options.ToString(), StringComparison.Ordinal);
        using var client = new EventsApiClient(options);
        Assert.DoesNotContain("secret-token-value", client.Options.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Client_KeepsACopy_LaterChangesDoNotAffectIt()
    {
        EventsApiOptions options = Valid();
        using var client = new EventsApiClient(options);

        options.ClientId = "changed";

        Assert.Equal("c", client.Options.ClientId);
    }
}

public class EventsApiOptionsTransportTests
{
    private static EventsApiOptions With(string baseUrl, bool allowInsecure = false) => new()
    {
        BaseUrl = new Uri(baseUrl),
        ClientId = "c",
        AccountId = "a",
        BrandId = "b",
        AuthToken = "secret-token-value",
        AllowInsecureHttp = allowInsecure,
    };

    [Theory]
    [InlineData("http://tracking.example.com/track/")]
    [InlineData("http://10.0.0.5:8080/track/")]
    public void PlainHttp_ToAHostThatIsNotLoopback_IsRefusedNamingHttps_AndNeverShowsTheToken(string baseUrl)
    {
        var ex = Assert.Throws<ArgumentException>(() => With(baseUrl).Validate());

        Assert.Equal(nameof(EventsApiOptions.BaseUrl), ex.ParamName);
        Assert.Contains("https", ex.Message, StringComparison.Ordinal);
        Assert.Contains("AllowInsecureHttp", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-token-value", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new EventsApiClient(With(baseUrl)));
    }

    [Theory]
    [InlineData("http://127.0.0.1:5000/track/")]
    [InlineData("http://localhost/track/")]
    [InlineData("http://[::1]:5000/track/")]
    [InlineData("https://tracking.example.com/track/")]
    public void LoopbackHttp_OrHttps_IsAccepted(string baseUrl) => With(baseUrl).Validate();

    [Fact]
    public void PlainHttp_WithAllowInsecureHttp_IsAccepted() => With("http://tracking.example.com/track/", allowInsecure: true).Validate();

    [Fact]
    public void ConnectTimeout_MustBePositive()
        => Assert.Equal(nameof(EventsApiOptions.ConnectTimeout), Assert.Throws<ArgumentException>(() =>
        {
            EventsApiOptions options = With("https://tracking.example.com/track/");
            options.ConnectTimeout = TimeSpan.Zero;
            options.Validate();
        }).ParamName);
}
