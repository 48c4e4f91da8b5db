using System.Text;
using StandardWebhooks;

namespace EventStream.Webhooks.Internal;

/// <summary>
/// Signs deliveries per Standard Webhooks 1.0 with the StandardWebhooks library (the one a .NET receiver verifies with):
/// <c>webhook-signature: v1,base64(HMAC-SHA256(secret, id.timestamp.body))</c>, one signature per secret, space-separated.
/// </summary>
internal sealed class Signer
{
    private const string Prefix = "whsec_";
    private readonly StandardWebhook[] _keys;

    public Signer(IReadOnlyList<string> secrets) => _keys = [.. secrets.Select(s => new StandardWebhook(s))];

    public bool Signs => _keys.Length > 0;

    public static bool IsValidSecret(string? secret)
    {
        if (secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        Span<byte> key = stackalloc byte[128];
        return Convert.TryFromBase64String(secret[Prefix.Length..], key, out int length) && length is >= 24 and <= 64;
    }

    /// <summary>The <c>webhook-signature</c> value for a body (null when the route has no secret).</summary>
    public string? Sign(string webhookId, DateTimeOffset timestamp, ReadOnlyMemory<byte> body)
    {
        if (_keys.Length == 0)
        {
            return null;
        }

        string payload = Encoding.UTF8.GetString(body.Span);
        if (_keys.Length == 1)
        {
            return _keys[0].Sign(webhookId, timestamp, payload);
        }

        return string.Join(' ', _keys.Select(k => k.Sign(webhookId, timestamp, payload)));
    }
}
