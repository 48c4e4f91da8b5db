using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace EventStream.Generators.Model;

/// <summary>A place in a source or plan file, kept as plain values so that models stay free of Roslyn objects.</summary>
internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
{
    public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

    public static LocationInfo? From(Location? location)
        => location is null || location.SourceTree is null
            ? null
            : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
}
