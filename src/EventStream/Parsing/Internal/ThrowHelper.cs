using System.Diagnostics.CodeAnalysis;

namespace EventStream.Parsing.Internal;

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Format(string message, long bytePosition, Exception? inner = null)
        => throw new EventPageFormatException(message, bytePosition, inner);
}
