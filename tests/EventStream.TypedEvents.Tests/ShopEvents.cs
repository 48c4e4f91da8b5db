using EventStream.Typed;

namespace EventStream.TypedEvents.Tests;

/// <summary>The user's plan: the generator fills this class from shop-plan.json.</summary>
[TrackingPlan("shop-plan.json")]
public static partial class ShopEvents;
