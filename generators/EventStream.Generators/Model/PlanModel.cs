namespace EventStream.Generators.Model;

/// <summary>Everything the emitter needs for one <c>[TrackingPlan]</c> class.</summary>
internal sealed record PlanModel(PlanTarget Target, string PlanFileName, EquatableArray<EventModel> Events);

/// <summary>The parser's result: the model to emit (absent when the plan could not be read) and the diagnostics to report.</summary>
internal sealed record PlanResult(PlanModel? Model, EquatableArray<DiagnosticInfo> Diagnostics);
