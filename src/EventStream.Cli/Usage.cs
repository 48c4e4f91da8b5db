using System.CommandLine;

namespace EventStream.Cli;

internal static class Usage
{
    /// <summary>Prints a usage error and the command's help to <paramref name="error"/>; returns exit code 2.</summary>
    public static async Task<int> FailAsync(ParseResult parse, string message, TextWriter error)
    {
        Command command = parse.CommandResult.Command;
        await error.WriteLineAsync($"eventstream {command.Name}: {message}").ConfigureAwait(false);
        await error.WriteLineAsync().ConfigureAwait(false);
        await command.Parse(["--help"]).InvokeAsync(new InvocationConfiguration { Output = error, Error = error }).ConfigureAwait(false);
        return Program.UsageError;
    }
}
