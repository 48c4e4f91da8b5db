using EventStream.Typed;

namespace EventStream.TypedEvents.Tests;

/// <summary>Formats, limits, additionalProperties, a union and a $ref to defs/common.json (constructs-plan.json).</summary>
[TrackingPlan("constructs-plan.json")]
public static partial class ConstructsEvents;
