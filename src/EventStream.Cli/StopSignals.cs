using System.Runtime.InteropServices;

namespace EventStream.Cli;

/// <summary>
/// SIGINT and SIGTERM for the whole process: the first cancels <see cref="Token"/>, which every command stops on
/// (checkpoint saved, servers stopped, exit code 0); if the command has not ended within the grace period, or a
/// second signal comes, the process exits at once with the signal's conventional code (130 or 143).
/// </summary>
/// <remarks>
/// Registered in <c>Main</c> before any argument is parsed, so it is in place before a command prints its ready line.
/// System.CommandLine's own handler (3.0) is not used: it is created with the action but learns of the action's task
/// only once the action first yields, and a signal in between completes the invocation with 143 at once, discarding
/// the action's result. <c>serve</c> prints its URL before it first yields, so 11 of 20 processes signalled right
/// after their URL line exited 143.
/// </remarks>
internal sealed class StopSignals : IDisposable
{
    /// <summary>Cancelled by the first signal.</summary>
    private readonly CancellationTokenSource _stop = new();

    /// <summary>How long a command may take to stop before the process exits without it.</summary>
    private readonly TimeSpan _grace;

    private readonly PosixSignalRegistration _sigInt;
    private readonly PosixSignalRegistration _sigTerm;

    /// <summary>Signals received so far.</summary>
    private int _received;

    public StopSignals(TimeSpan grace)
    {
        _grace = grace;
        _sigInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled when the process is asked to stop.</summary>
    public CancellationToken Token => _stop.Token;

    public void Dispose()
    {
        _sigInt.Dispose();
        _sigTerm.Dispose();
        _stop.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        context.Cancel = true; // the command stops itself
        int exitCode = context.Signal == PosixSignal.SIGINT ? 130 : 143;
        if (Interlocked.Increment(ref _received) > 1)
        {
            Environment.Exit(exitCode); // asked twice: stop now
        }

        // Never blocks the signal thread: whatever the cancellation wakes runs on the thread pool.
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.Cancel(), _stop, preferLocal: false);
        _ = ExitAfterGraceAsync(exitCode);
    }

    private async Task ExitAfterGraceAsync(int exitCode)
    {
        await Task.Delay(_grace, TimeProvider.System, CancellationToken.None).ConfigureAwait(false);
        Environment.Exit(exitCode);
    }
}
