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
