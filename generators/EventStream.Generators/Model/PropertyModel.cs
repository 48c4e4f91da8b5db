namespace EventStream.Generators.Model;

/// <summary>One planned property.</summary>
/// <param name="JsonName">Its name on the wire.</param>
/// <param name="Name">Its C# property name.</param>
/// <param name="Path">Its path from the payload, for violations (e.g. <c>properties.products[].price</c>).</param>
/// <param name="Description">Its plan description, if any.</param>
/// <param name="Required">Whether the plan lists it as required.</param>
/// <param name="Type">Its mapped type.</param>
internal sealed record PropertyModel(string JsonName, string Name, string Path, string? Description, bool Required, TypeModel Type);
