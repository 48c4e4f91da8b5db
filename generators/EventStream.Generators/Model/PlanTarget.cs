namespace EventStream.Generators.Model;

/// <summary>The class carrying <c>[TrackingPlan]</c>: where to emit and which plan file it names.</summary>
/// <param name="Namespace">The class's namespace, or empty for the global namespace.</param>
/// <param name="ContainingTypes">Declarations of the types the class is nested in, outermost first (e.g. <c>partial class Outer</c>).</param>
/// <param name="ClassName">The class's name.</param>
/// <param name="PlanPath">The path given to the attribute.</param>
/// <param name="SourceDirectory">The directory of the file holding the attribute.</param>
/// <param name="AttributeLocation">Where the attribute is, for diagnostics about the file.</param>
/// <param name="Format">The attribute's <c>Format</c> (a <c>PlanFormat</c> value; 0 detects it from the content).</param>
/// <param name="Problem">The id of a diagnostic that stops generation (non-partial or non-static class), if any.</param>
internal sealed record PlanTarget(
    string Namespace,
    EquatableArray<string> ContainingTypes,
    string ClassName,
    string PlanPath,
    string SourceDirectory,
    LocationInfo? AttributeLocation,
    int Format,
    DiagnosticInfo? Problem);
