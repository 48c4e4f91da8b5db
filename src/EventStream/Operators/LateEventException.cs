using EventStream.Parsing;

namespace EventStream.Operators;

/// <summary>An event arrived later than the reorder window allows (with <see cref="LateEventPolicy.Error"/>).</summary>
public sealed class LateEventException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LateEventException() : this("An event arrived later than the reorder window.") { }

    /// <summary>Creates the exception with a message.</summary>
    public LateEventException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and cause.</summary>
    public LateEventException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for an event.</summary>
    /// <param name="lateEvent">The event that came too late.</param>
    /// <param name="lastEmitted">The event time already emitted.</param>
    public LateEventException(IntileryEvent lateEvent, DateTimeOffset lastEmitted)
        : base($"Event {lateEvent?.EventId} at {lateEvent?.EventTime:O} arrived after events up to {lastEmitted:O} were emitted; widen the reorder window.")
        => Event = lateEvent;

    /// <summary>The late event.</summary>
    public IntileryEvent? Event { get; }
}
