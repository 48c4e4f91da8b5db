using System.Globalization;

namespace EventStream.Generators;

/// <summary>
/// The tracking-plan diagnostics without Roslyn: ids, titles, message formats and severities. The generator makes its
/// descriptors from these (<see cref="DiagnosticDescriptors"/>); <c>eventstream plan check</c>, which links the plan
/// reader, prints its messages from them. IDs are stable; never reuse a retired one.
/// </summary>
internal static class PlanDiagnostics
{
    public const string PlanFileNotFound = "ESG001";
    public const string PlanFileNotFoundTitle = "Tracking plan file not found";
    public const string PlanFileNotFoundMessage = "The tracking plan '{0}' is not among the project's AdditionalFiles; add <AdditionalFiles Include=\"{0}\" /> to the project file";

    public const string InvalidJson = "ESG002";
    public const string InvalidJsonTitle = "Tracking plan is not valid JSON";
    public const string InvalidJsonMessage = "The tracking plan '{0}' is not valid JSON: {1}";

    public const string InvalidPlan = "ESG003";
    public const string InvalidPlanTitle = "Tracking plan is not in the expected format";
    public const string InvalidPlanMessage = "{0}";

    public const string UnsupportedConstruct = "ESG004";
    public const string UnsupportedConstructTitle = "Unsupported schema construct";
    public const string UnsupportedConstructMessage = "'{0}': {1}; the property is generated as a raw JsonElement";

    public const string DuplicateAction = "ESG005";
    public const string DuplicateActionTitle = "Action planned twice";
    public const string DuplicateActionMessage = "The action '{0}' is already planned; this event is ignored";

    public const string DuplicateName = "ESG006";
    public const string DuplicateNameTitle = "Two plan entries give the same C# name";
    public const string DuplicateNameMessage = "'{0}' would be named '{1}', which is already taken; it is named '{2}'";

    public const string InvalidName = "ESG007";
    public const string InvalidNameTitle = "Plan name does not make a C# identifier";
    public const string InvalidNameMessage = "'{0}' does not make a C# identifier; it is named '{1}'";

    public const string BaseMemberClash = "ESG008";
    public const string BaseMemberClashTitle = "Property name clashes with a member of the base event";
    public const string BaseMemberClashMessage = "'{0}' would be named '{1}', which the base event type or generated code already defines; it is named '{2}'";

    public const string NotPartial = "ESG009";
    public const string NotPartialTitle = "Tracking plan class must be partial";
    public const string NotPartialMessage = "The class '{0}' carries [TrackingPlan] and must be declared 'static partial'";

    public const string NotStatic = "ESG010";
    public const string NotStaticTitle = "Tracking plan class must be static";
    public const string NotStaticMessage = "The class '{0}' carries [TrackingPlan] and must be declared 'static partial'";

    public const string UnknownRequired = "ESG011";
    public const string UnknownRequiredTitle = "Required property not defined";
    public const string UnknownRequiredMessage = "'{0}' is listed as required but is not among the properties; the requirement is ignored";

    public const string UncheckedKeyword = "ESG012";
    public const string UncheckedKeywordTitle = "Schema keyword not checked";
    public const string UncheckedKeywordMessage = "'{0}': {1}; the value is decoded but this is not checked";

    /// <summary>The ids of the diagnostics that are errors (the plan cannot be used); the rest are warnings.</summary>
    public static bool IsError(string id) => id is PlanFileNotFound or InvalidJson or InvalidPlan or NotPartial or NotStatic;

    /// <summary>A diagnostic's message, its arguments filled in.</summary>
    public static string Message(string id, params object[] arguments) => string.Format(CultureInfo.InvariantCulture, MessageFormat(id), arguments);

    public static string MessageFormat(string id) => id switch
    {
        PlanFileNotFound => PlanFileNotFoundMessage,
        InvalidJson => InvalidJsonMessage,
        InvalidPlan => InvalidPlanMessage,
        UnsupportedConstruct => UnsupportedConstructMessage,
        DuplicateAction => DuplicateActionMessage,
        DuplicateName => DuplicateNameMessage,
        InvalidName => InvalidNameMessage,
        BaseMemberClash => BaseMemberClashMessage,
        NotPartial => NotPartialMessage,
        NotStatic => NotStaticMessage,
        UnknownRequired => UnknownRequiredMessage,
        UncheckedKeyword => UncheckedKeywordMessage,
        _ => throw new System.ArgumentException("Unknown diagnostic id " + id, nameof(id)),
    };
}
