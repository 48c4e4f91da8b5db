namespace EventStream.Generators.Model;

/// <summary>One planned event.</summary>
/// <param name="Action">Its <c>eventAction</c> key.</param>
/// <param name="EventName">Its name in the plan.</param>
/// <param name="ClassName">The generated class's name.</param>
/// <param name="Description">Its plan description, if any.</param>
/// <param name="Category">Its plan category, if any.</param>
/// <param name="ReadsTraits">Whether its payload is <c>rawData.traits</c> (identify events) rather than <c>rawData.properties</c>.</param>
/// <param name="Properties">Its planned properties.</param>
internal sealed record EventModel(
    string Action,
    string EventName,
    string ClassName,
    string? Description,
    string? Category,
    bool ReadsTraits,
    EquatableArray<PropertyModel> Properties)
{
    /// <summary>What the payload's unplanned members become (<c>additionalProperties</c>), if the plan says.</summary>
    public ExtraModel? Extra { get; init; }

    /// <summary>Whether the plan gives the payload a schema at all (without one, any payload is as planned).</summary>
    public bool HasSchema { get; init; }
}
