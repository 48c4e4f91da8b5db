namespace EventStream.Generators.Model;

/// <summary>A diagnostic to report: its id (<see cref="PlanDiagnostics"/>), where, and the message arguments (all strings, so it is equatable).</summary>
internal sealed partial record DiagnosticInfo(string Id, LocationInfo? Location, EquatableArray<string> Arguments);
