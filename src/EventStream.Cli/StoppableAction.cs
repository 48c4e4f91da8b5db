using System.CommandLine;

namespace EventStream.Cli;

/// <summary>How every command stops on SIGINT/SIGTERM: cleanly, with exit code 0.</summary>
internal static class StoppableAction
{
    /// <summary>
    /// Sets <paramref name="action"/> as the command's action, so that a stop requested by SIGINT or SIGTERM (the
    /// invocation's token cancelled) ends with exit code 0 wherever the command had got to. Without it, a signal that
    /// landed while the command awaited something with that token (flushing its ready line, starting a server) let an
    /// <see cref="OperationCanceledException"/> escape, and System.CommandLine turned the faulted action into exit 143
    /// or 130: seen as 11 of 20 <c>serve</c> processes signalled right after their URL line. The command's
    /// <c>finally</c> blocks and disposals (checkpoint saved, servers stopped) have run by the time the exception
    /// reaches here; any other exception, or one the token did not cause, is not swallowed.
    /// </summary>
    public static void SetStoppableAction(this Command command, Func<ParseResult, CancellationToken, Task<int>> action) =>
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            try
            {
                return await action(parse, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0;
            }
        });
}
