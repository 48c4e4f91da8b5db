using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventStream.Cli.Dashboard;

/// <summary>
/// The dashboard's access token (the Aspire dashboard's browser token is the model): printed once inside the URL
/// (<c>?t=TOKEN</c>), exchanged on the first visit for an HttpOnly, SameSite=Strict cookie and a redirect to the URL
/// without it, so that it leaves the address bar and the history. Scripts send it as <c>Authorization: Bearer TOKEN</c>.
/// The cookie holds a SHA-256 of the token, never the token.
/// </summary>
internal sealed class DashboardAccessToken
{
    public const string Scheme = "EventStreamDashboardToken";
    public const string CookieName = "eventstream-dashboard";
    public const string QueryName = "t";
    public const int MinimumLength = 16;

    private readonly byte[] _token;
    private readonly byte[] _cookie;

    public DashboardAccessToken(string token)
    {
        Value = token;
        _token = Encoding.UTF8.GetBytes(token);
        _cookie = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(_token)));
    }

    /// <summary>The token itself: for the URL printed once, nowhere else.</summary>
    public string Value { get; }

    /// <summary>A new random token: 128 bits, as hex (URL-safe).</summary>
    public static DashboardAccessToken Generate() => new(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));

    public bool IsToken(string? presented) => presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _token);

    public bool IsCookie(string? presented) => presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(presented), _cookie);

    public string CookieValue => Encoding.ASCII.GetString(_cookie);

    /// <summary>
    /// A request carrying <c>?t=</c>: the right token sets the cookie and redirects to the same URL without it; a wrong one
    /// is a 401. Other requests go on to authentication.
    /// </summary>
    public Task ExchangeAsync(HttpContext context, RequestDelegate next)
    {
        HttpRequest request = context.Request;
        if (!request.Query.TryGetValue(QueryName, out var presented))
        {
            return next(context);
        }

        if (!IsToken(presented.ToString()))
        {
            return WriteUnauthorizedAsync(context.Response);
        }

        context.Response.Cookies.Append(CookieName, CookieValue, new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = request.IsHttps,
            Path = "/",
            IsEssential = true,
        });
        var rest = new QueryBuilder(request.Query.Where(q => q.Key != QueryName).SelectMany(q => q.Value.Select(v => new KeyValuePair<string, string>(q.Key, v ?? ""))));
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Redirect(request.PathBase + request.Path + rest.ToQueryString());
        return Task.CompletedTask;
    }

    /// <summary>A 401 that says what to do (a browser shows its own error page for an empty one), and nothing else.</summary>
    public static Task WriteUnauthorizedAsync(HttpResponse response)
    {
        response.StatusCode = StatusCodes.Status401Unauthorized;
        response.ContentType = "text/plain; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        return response.WriteAsync("401: this dashboard needs its access token. Open the URL that `eventstream dashboard` printed (ending ?t=...) once, or send Authorization: Bearer TOKEN.\n");
    }
}

/// <summary>Options of <see cref="DashboardAccessTokenHandler"/>: the token it checks.</summary>
internal sealed class DashboardAccessTokenOptions : AuthenticationSchemeOptions
{
    public DashboardAccessToken? Token { get; set; }
}

/// <summary>
/// Authenticates a request by the dashboard's cookie or an <c>Authorization: Bearer</c> token; the challenge is a bare 401
/// (no redirect, no data). The endpoints take it through <c>RequireAuthorization</c>, as any ASP.NET Core app's would.
/// </summary>
internal sealed class DashboardAccessTokenHandler(IOptionsMonitor<DashboardAccessTokenOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<DashboardAccessTokenOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        DashboardAccessToken token = Options.Token ?? throw new InvalidOperationException("The dashboard's access token is not set.");
        string? authorization = Request.Headers.Authorization.ToString();
        bool ok = Request.Cookies.TryGetValue(DashboardAccessToken.CookieName, out string? cookie)
            ? token.IsCookie(cookie)
            : authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && token.IsToken(authorization["Bearer ".Length..].Trim());
        if (ok)
        {
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, "dashboard")], DashboardAccessToken.Scheme)), DashboardAccessToken.Scheme)));
        }

        return Task.FromResult(cookie is null && authorization.Length == 0 ? AuthenticateResult.NoResult() : AuthenticateResult.Fail("wrong access token"));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) => DashboardAccessToken.WriteUnauthorizedAsync(Response);
}
