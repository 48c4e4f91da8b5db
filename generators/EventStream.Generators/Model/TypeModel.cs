namespace EventStream.Generators.Model;

/// <summary>What a plan property maps to.</summary>
internal enum PlanTypeKind
{
    String,
    Integer,
    Number,
    Decimal,
    Boolean,
    DateTime,
    Uuid,
    StringEnum,
    IntegerEnum,
    Object,
    Array,
    Raw,
    Date,
    Uri,
    Map,
    Union,
}

/// <summary>
/// A mapped type. <paramref name="Name"/> is the generated type's name for enums, objects and unions;
/// <paramref name="Members"/> are an enum's members; <paramref name="Properties"/> an object's; <paramref name="Item"/> an
/// array's item or a map's value.
/// </summary>
internal sealed record TypeModel(
    PlanTypeKind Kind,
    bool AllowsNull,
    string? Name,
    EquatableArray<EnumMemberModel> Members,
    EquatableArray<PropertyModel> Properties,
    TypeModel? Item)
{
    /// <summary>The plan's limits on the value (minimum, length, pattern, email, allowed values), checked when decoding.</summary>
    public RuleModel? Rule { get; init; }

    /// <summary>An object's members that the plan does not name (<c>additionalProperties</c>).</summary>
    public ExtraModel? Extra { get; init; }

    /// <summary>A union's discriminator (the <c>const</c> property that tells its cases apart): its wire name.</summary>
    public string? Discriminator { get; init; }

    /// <summary>The C# name of <see cref="Discriminator"/>.</summary>
    public string? DiscriminatorName { get; init; }

    /// <summary>A union's cases, each an object type.</summary>
    public EquatableArray<UnionCaseModel> Cases { get; init; }
}

/// <summary>An enum member: its wire value (a JSON string's text, or an integer) and its C# name.</summary>
internal sealed record EnumMemberModel(string WireValue, string Name);

/// <summary>One case of a union: the discriminator's value that selects it and its object type.</summary>
internal sealed record UnionCaseModel(string Value, TypeModel Type);

/// <summary>
/// What an object does with members the plan does not name: collect them (<paramref name="Value"/>, under the C# property
/// <paramref name="Name"/>) or report them (<paramref name="Closed"/>, <c>additionalProperties: false</c>);
/// <paramref name="Path"/> is the object's path.
/// </summary>
internal sealed record ExtraModel(TypeModel? Value, string? Name, bool Closed, string Path);

/// <summary>
/// Limits a decoded value is checked against; a value outside them is decoded and reported, never dropped.
/// Numbers are kept as the plan's text so the model stays exact and equatable.
/// </summary>
internal sealed record RuleModel(
    string? Minimum,
    bool ExclusiveMinimum,
    string? Maximum,
    bool ExclusiveMaximum,
    int? MinLength,
    int? MaxLength,
    string? Pattern,
    string? Format,
    EquatableArray<string> AllowedJson)
{
    public bool IsEmpty => Minimum is null && Maximum is null && MinLength is null && MaxLength is null && Pattern is null && Format is null && AllowedJson.Count == 0;
}
