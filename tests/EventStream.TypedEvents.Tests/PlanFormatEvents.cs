using EventStream.Typed;

namespace EventStream.TypedEvents.Tests;

/// <summary>The same four standard events from a Segment Protocols export, the format named on the attribute.</summary>
[TrackingPlan("Generator/Plans/segment.json", Format = PlanFormat.Segment)]
public static partial class SegmentEvents;

/// <summary>The same events from a directory of Snowplow Iglu schemas (order_completed in two versions).</summary>
[TrackingPlan("Generator/Plans/iglu")]
public static partial class IgluEvents;
