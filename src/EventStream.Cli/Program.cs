using System.CommandLine;
using EventStream.Cli.Commands;

namespace EventStream.Cli;

/// <summary>The <c>eventstream</c> command: <c>tail</c>, <c>serve</c>, <c>dashboard</c>, <c>relay</c>, <c>plan</c>, <c>forward</c>.</summary>
internal static class Program
{
    /// <summary>Exit code for bad arguments (usage printed).</summary>
    public const int UsageError = 2;

    /// <summary>How long a command may take to stop after SIGINT/SIGTERM: well inside a service manager's stop timeout (systemd: 90 s).</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(30);

    public static async Task<int> Main(string[] args)
    {
        using var signals = new StopSignals(StopGrace);
        return await RunAsync(args, Console.Out, Console.Error, signals.Token).ConfigureAwait(false);
    }

    /// <summary>Runs the command line; <paramref name="stop"/> stops the command cleanly (exit 0), as SIGINT/SIGTERM do.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken stop = default)
    {
        var root = new RootCommand("EventStream: the Intilery Events API as a real-time stream.")
        {
            TailCommand.Create(output, error),
            ServeCommand.Create(output, error),
            DashboardCommand.Create(output, error),
            RelayCommand.Create(output, error),
            PlanCommand.Create(output, error),
            ForwardCommand.Create(output, error),
        };
        ParseResult parse = root.Parse(args);
        // Signals are handled by StopSignals (see there for why not by System.CommandLine), so its handler is off.
        var configuration = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        if (parse.Errors.Count > 0)
        {
            // System.CommandLine prints the errors and the command's usage; we exit 2, the convention for bad usage.
            // It echoes what it did not understand ("Unrecognized argument 'nats://u:pw@…'"): URLs' passwords masked.
            using var redacted = new RedactingWriter(error, Redactor.UrlsOnly);
            (configuration.Output, configuration.Error) = (redacted, redacted);
            await parse.InvokeAsync(configuration, stop).ConfigureAwait(false);
            return UsageError;
        }

        return await parse.InvokeAsync(configuration, stop).ConfigureAwait(false);
    }
}
