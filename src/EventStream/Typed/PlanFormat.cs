namespace EventStream.Typed;

/// <summary>The format of a tracking plan read by <see cref="TrackingPlanAttribute"/>.</summary>
public enum PlanFormat
{
    /// <summary>Detected from the file's content.</summary>
    Auto = 0,

    /// <summary>Intilery's own format (<c>tracking-plan.json</c>): <c>events[]</c> with <c>action</c>, <c>name</c> and a <c>properties</c> schema.</summary>
    Intilery = 1,

    /// <summary>Segment Protocols: <c>events[]</c> with <c>rules</c> (draft-07), or the API form with <c>rules[]</c> of <c>key</c>, <c>type</c>, <c>version</c>, <c>json_schema</c>.</summary>
    Segment = 2,

    /// <summary>Avo's JSON Schema export: <c>events[]</c> with <c>name</c>, <c>description</c> and <c>rules</c> (draft-06).</summary>
    Avo = 3,

    /// <summary>One plain JSON Schema per event (drafts 4, 6, 7, 2019-09, 2020-12); the action comes from <c>title</c> or the file name.</summary>
    JsonSchema = 4,

    /// <summary>Snowplow Iglu self-describing schemas (<c>self: {vendor, name, format, version}</c>), one file per event and version.</summary>
    Iglu = 5,
}
