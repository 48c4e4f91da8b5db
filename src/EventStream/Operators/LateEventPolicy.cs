namespace EventStream.Operators;

/// <summary>What <see cref="ReorderExtensions.ReorderByEventTime{T}"/> does with an event older than one it has already emitted.</summary>
public enum LateEventPolicy
{
    /// <summary>Emit it at once, out of order (nothing is lost; order is broken for that event only).</summary>
    EmitImmediately,

    /// <summary>Drop it (order is kept; the event is lost downstream).</summary>
    Drop,

    /// <summary>End the sequence with <see cref="LateEventException"/>.</summary>
    Error,
}
