using Microsoft.AspNetCore.Http;

namespace EventStream.AspNetCore.Dashboard.Internal;

/// <summary>
/// The headers every dashboard and event-stream response carries: a CSP that allows only the page's own files (no inline
/// script or style, no framing), no MIME sniffing, no referrer (a URL with an access token never leaves in one).
/// </summary>
internal static class SecurityHeaders
{
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void Apply(HttpResponse response)
    {
        IHeaderDictionary headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
    }
}
