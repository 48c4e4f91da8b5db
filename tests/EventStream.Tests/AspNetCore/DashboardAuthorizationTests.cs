using System.Net;
using System.Security.Claims;
using System.Text.Encodings.Web;
using EventStream.AspNetCore.Dashboard;
using EventStream.AspNetCore.Hosting;
using EventStream.AspNetCore.ServerSentEvents;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EventStream.Tests.AspNetCore;

/// <summary>
/// The dashboard and the event stream behind an app's own authorization (<c>RequireAuthorization</c> on the builders
/// <c>MapEventStreamDashboard</c> and <c>MapEventStream</c> return), in a real app on loopback: the README's example.
/// </summary>
public class DashboardAuthorizationTests
{
    private const string UserHeader = "X-Test-User", RolesHeader = "X-Test-Roles";

    [Fact]
    public async Task DashboardAndEvents_BehindRequireAuthorization_Are401WithoutCredentials_403WithoutTheRole_AndServeWithThem()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        simulator.AddBacklog(20, DateTimeOffset.UtcNow.AddHours(-2), DateTimeOffset.UtcNow.AddHours(-1));
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventStream:BaseUrl"] = simulator.BaseUrl.ToString(),
            ["EventStream:ClientId"] = simulator.Options.ClientId,
            ["EventStream:AccountId"] = simulator.Options.AccountId,
            ["EventStream:BrandId"] = simulator.Options.BrandId,
            ["EventStream:AuthToken"] = simulator.Options.Token,
            ["EventStream:Start"] = "beginning",
        });
        builder.Services.AddEventFeed();
        // The app's own scheme (in the README: cookies, OpenID Connect, JWT bearer...); here a header says who calls.
        builder.Services.AddAuthentication(HeaderAuthenticationHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, null);

        #region README: dashboard-auth
        builder.Services.AddAuthorization(o => o.AddPolicy("support", p => p.RequireRole("support")));

        WebApplication app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapEventStream("/events").RequireAuthorization("support");
        app.MapEventStreamDashboard().RequireAuthorization("support");
        #endregion

        await using (app)
        {
            await app.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };

            foreach (string path in new[] { "/", "/app.js", "/app.css", "/favicon.svg", "/events" })
            {
                using HttpResponseMessage anonymous = await http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.Equal("", await anonymous.Content.ReadAsStringAsync());
                using HttpResponseMessage noRole = await SendAsync(http, path, "bob", "sales");
                Assert.Equal(HttpStatusCode.Forbidden, noRole.StatusCode);
                Assert.Equal("", await noRole.Content.ReadAsStringAsync());
            }

            using HttpResponseMessage page = await SendAsync(http, "/", "alice", "support");
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("<script type=\"module\" src=\"app.js\"></script>", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Contains("frame-ancestors 'none'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("no-referrer", page.Headers.GetValues("Referrer-Policy").Single());

            using HttpResponseMessage events = await SendAsync(http, "/events?status=false", "alice", "support");
            Assert.Equal(HttpStatusCode.OK, events.StatusCode);
            Assert.Equal("nosniff", events.Headers.GetValues("X-Content-Type-Options").Single());
            using var reader = new StreamReader(await events.Content.ReadAsStreamAsync());
            string? line;
            while ((line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30))) is not null && !line.StartsWith("data: ", StringComparison.Ordinal))
            {
            }

            Assert.Contains("\"eventId\"", line, StringComparison.Ordinal);
        }
    }

    private static Task<HttpResponseMessage> SendAsync(HttpClient http, string path, string user, string roles)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(UserHeader, user);
        request.Headers.Add(RolesHeader, roles);
        return http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>A test scheme: <c>X-Test-User</c> names the caller, <c>X-Test-Roles</c> its roles; the challenge is a 401.</summary>
    private sealed class HeaderAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "TestHeader";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            string user = Request.Headers[UserHeader].ToString();
            if (user.Length == 0)
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user)], SchemeName);
            identity.AddClaims(Request.Headers[RolesHeader].ToString().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(r => new Claim(ClaimTypes.Role, r.Trim())));
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }
    }
}
