using System.Text;

namespace EventStream.Nats;

/// <summary>
/// Subjects and keys. A subject token and a KV key hold letters, digits, <c>-</c> and <c>_</c> as they are; any other
/// character (a dot, a wildcard, a space, non-ASCII) is written as <c>=</c> and the hex of its UTF-8 bytes, so every
/// id maps to one valid token and back, and two ids never share one.
/// </summary>
public static class NatsNames
{
    /// <summary>The subject an event is published on: <c>{prefix}.{client}.{account}.{brand}.{eventAction}</c>, each part escaped.</summary>
    /// <param name="prefix">The stream's subject prefix, e.g. <c>intilery</c>.</param>
    /// <param name="clientId">The client id.</param>
    /// <param name="accountId">The account id.</param>
    /// <param name="brandId">The brand id.</param>
    /// <param name="eventAction">The event's action.</param>
    /// <returns>The subject.</returns>
    public static string Subject(string prefix, string clientId, string accountId, string brandId, string eventAction)
        => $"{prefix}.{FeedKey(clientId, accountId, brandId)}.{Escape(eventAction)}";

    /// <summary>A feed's key in the checkpoint and lease buckets: <c>{client}.{account}.{brand}</c>, each part escaped.</summary>
    /// <param name="clientId">The client id.</param>
    /// <param name="accountId">The account id.</param>
    /// <param name="brandId">The brand id.</param>
    /// <returns>The key.</returns>
    public static string FeedKey(string clientId, string accountId, string brandId) => $"{Escape(clientId)}.{Escape(accountId)}.{Escape(brandId)}";

    /// <summary>One subject token (or key part) for <paramref name="value"/>.</summary>
    /// <param name="value">Any string.</param>
    /// <returns>The escaped token; <c>=</c> alone for the empty string.</returns>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Length == 0)
        {
            return "=";
        }

        if (value.All(IsPlain))
        {
            return value;
        }

        var escaped = new StringBuilder(value.Length + 8);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (IsPlain(c))
            {
                escaped.Append(c);
                continue;
            }

            int length = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])
                ? Encoding.UTF8.GetBytes(value.AsSpan(i++, 2), utf8)
                : Encoding.UTF8.GetBytes(value.AsSpan(i, 1), utf8);
            foreach (byte b in utf8[..length])
            {
                escaped.Append('=').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return escaped.ToString();
    }

    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '_';
}
