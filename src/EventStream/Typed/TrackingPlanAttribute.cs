namespace EventStream.Typed;

/// <summary>
/// Generates typed events from a tracking plan into the <see langword="static partial"/> class it is put on:
/// one sealed class per planned event (deriving from <see cref="PlannedEvent"/>), enums and nested classes for the
/// plan's enums and objects, and a <c>Catalog</c> (<see cref="EventCatalog"/>) that decodes events by their action.
/// </summary>
/// <remarks>
/// The plan file must also be listed as an <c>AdditionalFiles</c> item. Its path is resolved against the project
/// directory, then against the directory of the file holding the attribute.
/// </remarks>
/// <example>
/// <code>
/// // ShopEvents.cs                                  // the .csproj
/// [TrackingPlan("plans/shop.json")]                 // &lt;AdditionalFiles Include="plans/shop.json" /&gt;
/// public static partial class ShopEvents;
/// </code>
/// </example>
/// <param name="path">
/// The plan file's path, or a directory or a <c>*</c> pattern naming several <c>AdditionalFiles</c> (Iglu schemas or
/// one JSON Schema per event). The format is detected from the content unless <see cref="Format"/> names it.
/// </param>
[AttributeUsage(AttributeTargets.Class, Inherited = false, AllowMultiple = false)]
public sealed class TrackingPlanAttribute(string path) : Attribute
{
    /// <summary>The plan file's path, as given.</summary>
    public string Path { get; } = path;

    /// <summary>The plan's format; <see cref="PlanFormat.Auto"/> (the default) detects it from the file's content.</summary>
    public PlanFormat Format { get; set; }
}
