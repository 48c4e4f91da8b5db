using Microsoft.CodeAnalysis;

namespace EventStream.Generators;

/// <summary>
/// Every diagnostic the tracking-plan generator reports, made from <see cref="PlanDiagnostics"/>' ids, titles and messages
/// (shared with <c>eventstream plan check</c>); a severity here agrees with <see cref="PlanDiagnostics.IsError"/>.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "EventStream.TrackingPlan";

    public static readonly DiagnosticDescriptor PlanFileNotFound = new(
        PlanDiagnostics.PlanFileNotFound, PlanDiagnostics.PlanFileNotFoundTitle, PlanDiagnostics.PlanFileNotFoundMessage,
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidJson = new(
        PlanDiagnostics.InvalidJson, PlanDiagnostics.InvalidJsonTitle, PlanDiagnostics.InvalidJsonMessage,
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidPlan = new(
        PlanDiagnostics.InvalidPlan, PlanDiagnostics.InvalidPlanTitle, PlanDiagnostics.InvalidPlanMessage,
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnsupportedConstruct = new(
        PlanDiagnostics.UnsupportedConstruct, PlanDiagnostics.UnsupportedConstructTitle, PlanDiagnostics.UnsupportedConstructMessage,
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateAction = new(
        PlanDiagnostics.DuplicateAction, PlanDiagnostics.DuplicateActionTitle, PlanDiagnostics.DuplicateActionMessage,
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor DuplicateName = new(
        PlanDiagnostics.DuplicateName, PlanDiagnostics.DuplicateNameTitle, PlanDiagnostics.DuplicateNameMessage,
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor InvalidName = new(
        PlanDiagnostics.InvalidName, PlanDiagnostics.InvalidNameTitle, PlanDiagnostics.InvalidNameMessage,
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor BaseMemberClash = new(
        PlanDiagnostics.BaseMemberClash, PlanDiagnostics.BaseMemberClashTitle, PlanDiagnostics.BaseMemberClashMessage,
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotPartial = new(
        PlanDiagnostics.NotPartial, PlanDiagnostics.NotPartialTitle, PlanDiagnostics.NotPartialMessage,
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor NotStatic = new(
        PlanDiagnostics.NotStatic, PlanDiagnostics.NotStaticTitle, PlanDiagnostics.NotStaticMessage,
        Category, DiagnosticSeverity.Error, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UnknownRequired = new(
        PlanDiagnostics.UnknownRequired, PlanDiagnostics.UnknownRequiredTitle, PlanDiagnostics.UnknownRequiredMessage,
        Category, DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public static readonly DiagnosticDescriptor UncheckedKeyword = new(
        PlanDiagnostics.UncheckedKeyword, PlanDiagnostics.UncheckedKeywordTitle, PlanDiagnostics.UncheckedKeywordMessage,
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
