using System.CommandLine;
using EventStream.Cli.Commands;

namespace EventStream.Cli;

/// <summary>The <c>eventstream</c> command: <c>tail</c>, <c>serve</c>, <c>dashboard</c>, <c>relay</c>.</summary>
internal static class Program
{
    /// <summary>Exit code for bad arguments (usage printed).</summary>
    public const int UsageError = 2;

    public static Task<int> Main(string[] args) => RunAsync(args, Console.Out, Console.Error);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        var root = new RootCommand("EventStream: the Intilery Events API as a real-time stream.")
        {
            TailCommand.Create(output, error),
            ServeCommand.Create(output, error),
            DashboardCommand.Create(output, error),
            RelayCommand.Create(output, error),
        };
        ParseResult parse = root.Parse(args);
        // SIGINT/SIGTERM cancel the command, which then saves its checkpoint and stops its servers. System.CommandLine
        // kills the process if that takes over 2 s (its default): on a loaded machine a shutdown took longer (exit 143,
        // checkpoint unsaved). Allow 30 s, well inside a service manager's stop timeout (systemd: 90 s).
        var configuration = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = TimeSpan.FromSeconds(30) };
        if (parse.Errors.Count > 0)
        {
            // System.CommandLine prints the errors and the command's usage; we exit 2, the convention for bad usage.
            // It echoes what it did not understand ("Unrecognized argument 'nats://u:pw@…'"): URLs' passwords masked.
            using var redacted = new RedactingWriter(error, Redactor.UrlsOnly);
            (configuration.Output, configuration.Error) = (redacted, redacted);
            await parse.InvokeAsync(configuration).ConfigureAwait(false);
            return UsageError;
        }

        return await parse.InvokeAsync(configuration).ConfigureAwait(false);
    }
}
