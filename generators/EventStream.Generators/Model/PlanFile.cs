namespace EventStream.Generators.Model;

/// <summary>An <c>AdditionalFiles</c> item: its path and its text.</summary>
internal sealed record PlanFile(string Path, string Text);
