using Microsoft.CodeAnalysis;

namespace EventStream.Generators.Model;

/// <summary>A diagnostic to report: its descriptor's id, where, and the message arguments (all strings, so it is equatable).</summary>
internal sealed record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments)
{
    public Diagnostic ToDiagnostic()
        => Diagnostic.Create(
            DiagnosticDescriptors.ById(Id),
            Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None,
            [.. Arguments]);
}
