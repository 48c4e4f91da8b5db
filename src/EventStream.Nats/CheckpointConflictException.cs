namespace EventStream.Nats;

/// <summary>
/// Another instance saved this feed's checkpoint since this one loaded it: it now owns the feed, and this instance must
/// stop advancing it (the relay stops the feed; nothing this instance read after that point is counted as done).
/// </summary>
public sealed class CheckpointConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CheckpointConflictException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public CheckpointConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The cause.</param>
    public CheckpointConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
