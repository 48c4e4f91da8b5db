using EventStream.Parsing;

namespace EventStream.Feed;

/// <summary>
/// A consumer of the feed (an observer's <c>OnNext</c>, a <see cref="FeedGroup"/> observer) threw, and the feed faulted
/// for it (the default; see <see cref="FeedOptions.ConsumerRetries"/> and <see cref="FeedOptions.OnDeadLetter"/>).
/// <see cref="Exception.InnerException"/> is what the consumer threw. <see cref="EventFeed.Completion"/> faults with this,
/// every subscriber's <c>OnError</c> gets it and every reader throws it. The checkpoint stays before the event, so a
/// restart delivers it first.
/// </summary>
public sealed class ConsumerFaultException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ConsumerFaultException() : this("A consumer of the feed threw.") { }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public ConsumerFaultException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and what the consumer threw.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">What the consumer threw.</param>
    public ConsumerFaultException(string message, Exception? innerException) : base(message, innerException) { }

    /// <summary>Creates the exception for a consumer that threw on an event.</summary>
    /// <param name="event">The event the consumer failed on.</param>
    /// <param name="consumer">Which kind of consumer threw, e.g. <c>observer</c> or <c>group observer</c>.</param>
    /// <param name="attempts">How many times the event was handed to it.</param>
    /// <param name="innerException">What the consumer threw.</param>
    public ConsumerFaultException(IntileryEvent @event, string consumer, int attempts, Exception innerException)
        : base($"The feed stopped: its {consumer} threw on event {@event?.EventId} ({attempts} attempt{(attempts == 1 ? "" : "s")}): {innerException?.Message}", innerException)
    {
        ArgumentNullException.ThrowIfNull(@event);
        EventId = @event.EventId;
        EventTime = @event.EventTime;
        Consumer = consumer;
        Attempts = attempts;
    }

    /// <summary>The id of the event the consumer failed on.</summary>
    public string? EventId { get; }

    /// <summary>That event's time.</summary>
    public DateTimeOffset? EventTime { get; }

    /// <summary>Which kind of consumer threw: <c>observer</c> or <c>group observer</c>.</summary>
    public string? Consumer { get; }

    /// <summary>How many times the event was handed to the consumer before the feed gave up.</summary>
    public int Attempts { get; }
}
