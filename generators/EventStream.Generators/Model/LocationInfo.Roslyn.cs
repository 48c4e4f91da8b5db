using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace EventStream.Generators.Model;

internal sealed partial record LocationInfo
{
    public Location ToLocation()
        => Location.Create(FilePath, TextSpan.FromBounds(Start, End), new LinePositionSpan(new LinePosition(StartLine, StartColumn), new LinePosition(EndLine, EndColumn)));

    public static LocationInfo? From(Location? location)
    {
        if (location is null || location.SourceTree is null)
        {
            return null;
        }

        LinePositionSpan lines = location.GetLineSpan().Span;
        return new LocationInfo(location.SourceTree.FilePath, location.SourceSpan.Start, location.SourceSpan.End, lines.Start.Line, lines.Start.Character, lines.End.Line, lines.End.Character);
    }
}
