using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace EventStream.Generators;

/// <summary>Turns plan names into C# identifiers: <c>Email Opened</c> → <c>EmailOpened</c>, <c>email_id</c> → <c>EmailId</c>, <c>pre-roll</c> → <c>PreRoll</c>.</summary>
internal static class Naming
{
    /// <summary>
    /// Splits on anything that is not a letter or digit and capitalizes each word's first letter, keeping the rest
    /// (so <c>firstName</c> → <c>FirstName</c>). Returns <see langword="null"/> when nothing usable remains.
    /// </summary>
    public static string? ToPascalCase(string name)
    {
        var builder = new StringBuilder(name.Length);
        foreach (string word in Words(name))
        {
            // An all-capitals word is an acronym or a SHOUTED key: SMS → Sms, ORDER_CONFIRMATION → OrderConfirmation.
            bool shouted = word.Length > 1 && word.All(c => !char.IsLetter(c) || char.IsUpper(c));
            builder.Append(char.ToUpperInvariant(word[0]));
            builder.Append(shouted ? word.Substring(1).ToLowerInvariant() : word.Substring(1));
        }

        return builder.Length == 0 ? null : builder.ToString();
    }

    private static IEnumerable<string> Words(string name)
    {
        var word = new StringBuilder();
        foreach (char c in name)
        {
            if (char.IsLetterOrDigit(c) && (c <= 0x7F || char.IsLetter(c)))
            {
                word.Append(c);
            }
            else if (word.Length > 0)
            {
                yield return word.ToString();
                word.Clear();
            }
        }

        if (word.Length > 0)
        {
            yield return word.ToString();
        }
    }

    /// <summary>
    /// An action from a display name, as Intilery makes them: words lower-cased and joined by <c>_</c>
    /// (<c>Order Completed</c> → <c>order_completed</c>, <c>orderCompleted</c> → <c>order_completed</c>).
    /// </summary>
    public static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        foreach (string word in Words(name))
        {
            for (int i = 0; i < word.Length; i++)
            {
                char c = word[i];
                bool boundary = i > 0 && char.IsUpper(c) && (char.IsLower(word[i - 1]) || (i + 1 < word.Length && char.IsLower(word[i + 1]) && char.IsUpper(word[i - 1])));
                if (builder.Length > 0 && (i == 0 || boundary))
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.ToString();
    }

    /// <summary>Whether a generated name is usable as is (it must not start with a digit).</summary>
    public static bool StartsWithDigit(string name) => name.Length > 0 && char.IsDigit(name[0]);

    /// <summary>A singular form for an array's item type: a trailing <c>s</c> is dropped (<c>products</c> → <c>Product</c>).</summary>
    public static string Singular(string pascal)
        => pascal.Length > 3 && pascal.EndsWith("s", System.StringComparison.Ordinal) && !pascal.EndsWith("ss", System.StringComparison.Ordinal)
            ? pascal.Substring(0, pascal.Length - 1)
            : pascal + "Item";

    /// <summary>The XML-doc-safe form of plan text.</summary>
    public static string Xml(string text)
        => text.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\r", " ").Replace("\n", " ");

    /// <summary>A C# string literal's contents for plan text.</summary>
    public static string Literal(string text)
    {
        var builder = new StringBuilder(text.Length + 2);
        foreach (char c in text)
        {
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                default:
                    if (c < ' ')
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// Members of <c>EventStream.Parsing.IntileryEvent</c> and <c>EventStream.Typed.PlannedEvent</c> (and <c>object</c>) that a
    /// generated property must not hide. A test compares this list with the library's types by reflection.
    /// </summary>
    public static readonly HashSet<string> BaseEventMembers =
    [
        "EventId", "EventAction", "EventTime", "ReceivedTime", "Id", "ExternalId", "Email", "CustomerId", "UserId",
        "ClientId", "AccountId", "BrandId", "Source", "IsLate", "Json", "RawData", "RawDataJson", "EventName",
        "Properties", "Context", "Traits", "Parse", "Detach", "Violations",
        "ToString", "Equals", "GetHashCode", "GetType", "MemberwiseClone", "ReferenceEquals", "Finalize",
    ];

    /// <summary>Members every generated class has or inherits from <c>object</c>.</summary>
    public static readonly HashSet<string> ObjectMembers =
    [
        "ToString", "Equals", "GetHashCode", "GetType", "MemberwiseClone", "ReferenceEquals", "Finalize", "Read", "Decode", "PlannedAction",
    ];
}
