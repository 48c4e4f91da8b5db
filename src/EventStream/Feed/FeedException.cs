namespace EventStream.Feed;

/// <summary>The feed cannot continue without losing events, e.g. one millisecond holds more events than the API's 10,000-result window.</summary>
public sealed class FeedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FeedException() : this("The feed cannot continue.") { }

    /// <summary>Creates the exception with a message.</summary>
    public FeedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and cause.</summary>
    public FeedException(string message, Exception? innerException) : base(message, innerException) { }
}
