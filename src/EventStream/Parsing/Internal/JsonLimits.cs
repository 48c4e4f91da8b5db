using System.Text.Json;

namespace EventStream.Parsing.Internal;

/// <summary>
/// The one place that says how deep the library reads JSON. System.Text.Json stops at 64 levels by default, but events
/// are the customer's data and legal JSON nests deeper: an event nested 200 deep once stalled a feed. Every reader and
/// document in the library uses these limits.
/// </summary>
internal static class JsonLimits
{
    /// <summary>Nesting the library reads anywhere inside an event (the issue asked for at least 1,000).</summary>
    public const int MaxDepth = 4_096;

    public static readonly JsonReaderOptions Reader = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow };

    public static readonly JsonDocumentOptions Document = new() { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Disallow };
}
