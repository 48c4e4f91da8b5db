using System.Text.Json.Serialization;

namespace EventStream.AspNetCore.ServerSentEvents.Internal;

// What the hub writes besides the events themselves (which go out as received). Declared types rather than anonymous
// ones so that the JSON is written by source-generated code: reflection-based serialization is disabled under Native
// AOT and trimming (the dashboard crashed at start there). Property names are the wire names, unchanged.

internal sealed record StatusPayload(
    string State,
    double? BehindSeconds,
    long? Remaining,
    DateTimeOffset? NextAttempt,
    string? Error,
    long Events,
    long Buffered,
    string? StalledOn,
    DateTimeOffset? StalledSince,
    long LateEvents,
    long DuplicatesDropped,
    long Requests,
    double RequestsPerSecond,
    long RateLimited);

internal sealed record ViolationsPayload(string EventId, IReadOnlyList<ViolationPayload> Violations);

internal sealed record ViolationPayload(string Path, string Kind, string? Expected, string? Actual, string Message);

internal sealed record ResetPayload(string Reason, string LastEventId);

internal sealed record LaggedPayload(string Reason, int Buffer);

internal sealed record ErrorPayload(string? Error);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(StatusPayload))]
[JsonSerializable(typeof(ViolationsPayload))]
[JsonSerializable(typeof(ResetPayload))]
[JsonSerializable(typeof(LaggedPayload))]
[JsonSerializable(typeof(ErrorPayload))]
internal sealed partial class HubJson : JsonSerializerContext;
