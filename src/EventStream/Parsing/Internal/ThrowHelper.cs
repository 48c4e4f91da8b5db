using System.Diagnostics.CodeAnalysis;

namespace EventStream.Parsing.Internal;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Format(string message, long bytePosition, Exception? inner = null)
        => throw new EventPageFormatException(message, bytePosition, inner);

    /// <summary>The JSON is well formed but one event breaks the envelope's contract: the page can go on without it.</summary>
    [DoesNotReturn]
    public static void EventFormat(string message, long bytePosition)
        => throw new EventPageFormatException(message, bytePosition) { IsEventLevel = true };
}
