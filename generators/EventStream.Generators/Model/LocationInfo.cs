namespace EventStream.Generators.Model;

/// <summary>
/// A place in a source or plan file, kept as plain values so that models stay free of Roslyn objects (and the plan reader
/// runs outside the compiler, in <c>eventstream plan check</c>): offsets and zero-based lines and columns.
/// </summary>
internal sealed partial record LocationInfo(string FilePath, int Start, int End, int StartLine, int StartColumn, int EndLine, int EndColumn);
