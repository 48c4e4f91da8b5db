using Microsoft.CodeAnalysis;

namespace EventStream.Generators;

/// <summary>Every diagnostic the tracking-plan generator reports. IDs are stable; never reuse a retired one.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "EventStream.TrackingPlan";

    public static readonly DiagnosticDescriptor PlanFileNotFound = new(
        "ESG001", "Tracking plan file not found",
        "The tracking plan '{0}' is not among the project's AdditionalFiles; add <AdditionalFiles Include=\"{0}\" /> to the project file",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidJson = new(
        "ESG002", "Tracking plan is not valid JSON",
        "The tracking plan '{0}' is not valid JSON: {1}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidPlan = new(
        "ESG003", "Tracking plan is not in the expected format",
        "{0}",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedConstruct = new(
        "ESG004", "Unsupported schema construct",
        "'{0}': {1}; the property is generated as a raw JsonElement",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateAction = new(
        "ESG005", "Action planned twice",
        "The action '{0}' is already planned; this event is ignored",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateName = new(
        "ESG006", "Two plan entries give the same C# name",
        "'{0}' would be named '{1}', which is already taken; it is named '{2}'",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidName = new(
        "ESG007", "Plan name does not make a C# identifier",
        "'{0}' does not make a C# identifier; it is named '{1}'",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor BaseMemberClash = new(
        "ESG008", "Property name clashes with a member of the base event",
        "'{0}' would be named '{1}', which the base event type or generated code already defines; it is named '{2}'",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotPartial = new(
        "ESG009", "Tracking plan class must be partial",
        "The class '{0}' carries [TrackingPlan] and must be declared 'static partial'",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotStatic = new(
        "ESG010", "Tracking plan class must be static",
        "The class '{0}' carries [TrackingPlan] and must be declared 'static partial'",
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnknownRequired = new(
        "ESG011", "Required property not defined",
        "'{0}' is listed as required but is not among the properties; the requirement is ignored",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UncheckedKeyword = new(
        "ESG012", "Schema keyword not checked",
        "'{0}': {1}; the value is decoded but this is not checked",
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor[] All =
    [
        PlanFileNotFound, InvalidJson, InvalidPlan, UnsupportedConstruct, DuplicateAction, DuplicateName,
        InvalidName, BaseMemberClash, NotPartial, NotStatic, UnknownRequired, UncheckedKeyword,
    ];

    public static DiagnosticDescriptor ById(string id)
    {
        foreach (DiagnosticDescriptor descriptor in All)
        {
            if (descriptor.Id == id)
            {
                return descriptor;
            }
        }

        throw new System.ArgumentException("Unknown diagnostic id " + id, nameof(id));
    }
}
