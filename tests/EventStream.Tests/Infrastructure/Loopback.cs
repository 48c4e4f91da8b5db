using EventStream.Api;
using EventStream.Simulator;
using Microsoft.Extensions.Logging;

namespace EventStream.Tests.Infrastructure;

/// <summary>Starts simulators on 127.0.0.1 and clients pointed at them.</summary>
internal static class Loopback
{
    public static Task<IntilerySimulator> StartAsync(Action<SimulatorOptions>? configure = null)
    {
        var options = new SimulatorOptions { Token = "tok-" + Guid.NewGuid().ToString("N"), BurstShare = 0 };
        configure?.Invoke(options);
        return IntilerySimulator.StartAsync(options);
    }

    public static EventsApiOptions OptionsFor(IntilerySimulator simulator, Action<EventsApiOptions>? configure = null)
    {
        var options = new EventsApiOptions
        {
            BaseUrl = simulator.BaseUrl,
            ClientId = simulator.Options.ClientId,
            AccountId = simulator.Options.AccountId,
            BrandId = simulator.Options.BrandId,
            AuthToken = simulator.Options.Token,
            RetryBaseDelay = TimeSpan.FromMilliseconds(5),
            MaxRetryDelay = TimeSpan.FromMilliseconds(50),
        };
        configure?.Invoke(options);
        return options;
    }

    public static EventsApiClient ClientFor(IntilerySimulator simulator, Action<EventsApiOptions>? configure = null)
        => new(OptionsFor(simulator, configure));
}

/// <summary>An <see cref="ILogger"/> that keeps every formatted line (and exception text) for assertions.</summary>
internal sealed class CapturingLogger : ILogger
{
    private readonly List<string> _lines = [];
    private readonly List<DateTime> _times = [];

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>The lines with the time each was logged (for a failure message that must tell what happened when).</summary>
    public string Timeline
    {
        get
        {
            lock (_lines)
            {
                return string.Join("\n", _lines.Select((l, i) => $"{_times[i]:HH:mm:ss.fff} {l}"));
            }
        }
    }

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines)
        {
            _lines.Add($"{logLevel}: {formatter(state, exception)} {exception}");
            _times.Add(DateTime.UtcNow);
        }
    }
}
