using System.Text.RegularExpressions;

namespace EventStream.Cli;

/// <summary>
/// Takes secrets out of text before it is shown: the user information of any URL (<c>nats://u:pw@host</c> becomes
/// <c>nats://u:***@host</c>, a token <c>nats://tok@host</c> becomes <c>nats://***@host</c>) and every secret it was given
/// (a password, token, nkey seed, API token; also in their URL-escaped forms) wherever it appears.
/// </summary>
internal sealed partial class Redactor
{
    public const string Mask = "***";

    private readonly string[] _secrets;

    public Redactor(IEnumerable<string?> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        _secrets = [.. secrets
            .Where(s => !string.IsNullOrEmpty(s))
            .SelectMany(s => new[] { s!, Uri.EscapeDataString(s!), SafeUnescape(s!) })
            .Where(s => s.Length >= 3) // shorter "secrets" would mask ordinary words; they are still masked inside a URL
            .Distinct(StringComparer.Ordinal)
            .OrderByDescending(s => s.Length)];
    }

    /// <summary>A redactor that only masks URLs' user information.</summary>
    public static Redactor UrlsOnly { get; } = new([]);

    public string Redact(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return text ?? "";
        }

        string redacted = RedactUrls(text);
        foreach (string secret in _secrets)
        {
            redacted = redacted.Replace(secret, Mask, StringComparison.Ordinal);
        }

        return redacted;
    }

    /// <summary>Masks the password (or the token, when there is no password) in every URL of <paramref name="text"/>.</summary>
    public static string RedactUrls(string text)
        => UserInfo().Replace(text, m => m.Groups["password"].Success
            ? $"{m.Groups["scheme"].Value}{m.Groups["user"].Value}:{Mask}@"
            : $"{m.Groups["scheme"].Value}{Mask}@");

    private static string SafeUnescape(string s)
    {
        try
        {
            return Uri.UnescapeDataString(s);
        }
        catch (UriFormatException)
        {
            return s;
        }
    }

    // scheme://user[:password]@ — user information stops at the first '@' before any '/', whitespace or quote.
    [GeneratedRegex(@"(?<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?<user>[^:@/\s'""<>]*)(?::(?<password>[^@/\s'""<>]*))?@", RegexOptions.CultureInvariant)]
    private static partial Regex UserInfo();
}
