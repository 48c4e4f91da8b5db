using Microsoft.CodeAnalysis;

namespace EventStream.Generators.Model;

internal sealed partial record DiagnosticInfo
{
    public Diagnostic ToDiagnostic()
        => Diagnostic.Create(
            DiagnosticDescriptors.ById(Id),
            Location?.ToLocation() ?? Microsoft.CodeAnalysis.Location.None,
            [.. Arguments]);
}
