using EventStream.Typed;

namespace EventStream.TypedEvents.Tests;

/// <summary>The same four standard events from a Segment Protocols export, the format named on the attribute.</summary>
[TrackingPlan("Generator/Plans/segment.json", Format = PlanFormat.Segment)]
public static partial class SegmentEvents;

/// <summary>The same events from a directory of Snowplow Iglu schemas (order_completed in two versions).</summary>
[TrackingPlan("Generator/Plans/iglu")]
public static partial class IgluEvents;

/// <summary>The same events from the Segment Protocols API form (<c>rules: [{key, type, version, json_schema}]</c>).</summary>
[TrackingPlan("Generator/Plans/segment-api.json")]
public static partial class SegmentApiEvents;

/// <summary>The same events from Avo's export, the format named (it looks like Segment's).</summary>
[TrackingPlan("Generator/Plans/avo.json", Format = PlanFormat.Avo)]
public static partial class AvoEvents;

/// <summary>The same events from a directory of plain JSON Schemas, one per event.</summary>
[TrackingPlan("Generator/Plans/jsonschema")]
public static partial class JsonSchemaEvents;
