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
}

/// <summary>
/// A mapped type. <paramref name="Name"/> is the generated type's name for enums and objects;
/// <paramref name="Members"/> are an enum's members; <paramref name="Properties"/> an object's; <paramref name="Item"/> an array's item.
/// </summary>
internal sealed record TypeModel(
    PlanTypeKind Kind,
    bool AllowsNull,
    string? Name,
    EquatableArray<EnumMemberModel> Members,
    EquatableArray<PropertyModel> Properties,
    TypeModel? Item);

/// <summary>An enum member: its wire value (a JSON string's text, or an integer) and its C# name.</summary>
internal sealed record EnumMemberModel(string WireValue, string Name);
