using Microsoft.Extensions.Logging;

namespace EventStream.Cli;

/// <summary>
/// The feed's log as one line per message on stderr (<c>eventstream tail: retrying: …</c>), so that stdout stays pure
/// NDJSON and a person or a supervisor still sees retries, recoveries, skipped events and failed checkpoint saves.
/// </summary>
internal sealed class StderrLogger(TextWriter error, string prefix, LogLevel minimum = LogLevel.Information) : ILogger
{
    private readonly Lock _lock = new();

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string message = formatter(state, exception).ReplaceLineEndings(" ");
        lock (_lock)
        {
            error.WriteLine($"{prefix}: {message}");
            error.Flush();
        }
    }
}
