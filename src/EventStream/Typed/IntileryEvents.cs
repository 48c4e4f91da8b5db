namespace EventStream.Typed;

/// <summary>
/// Intilery's 84 standard events (names, actions and property types from Intilery's public schema documentation),
/// generated from <c>tracking-plan.json</c> by the same generator users run on their own plans: typed classes such as
/// <c>IntileryEvents.OrderCompleted</c> and <see cref="Catalog"/>. Identify traits whose names the envelope already uses
/// are suffixed <c>Trait</c> (<c>EmailTrait</c>); properties the plan leaves untyped are raw <see cref="System.Text.Json.JsonElement"/>s.
/// </summary>
[TrackingPlan("../../data/tracking-plan.json")]
public static partial class IntileryEvents;
