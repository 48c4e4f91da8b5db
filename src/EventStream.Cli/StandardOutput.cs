using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace EventStream.Cli;

/// <summary>
/// Standard output as a stream that notices when its reader goes away (<c>tail | head -1</c>, <c>grep -m1</c>, <c>jq</c>
/// quitting): <see cref="Closed"/> is cancelled as soon as the pipe's reader closes it — even while nothing is being
/// written — and a write to it throws <see cref="IOException"/>.
/// </summary>
/// <remarks>
/// <see cref="Console.OpenStandardOutput()"/> cannot be used for this: on Unix it drops writes that fail with EPIPE
/// without a word, so a <c>tail</c> piped into <c>head -1</c> went on polling for ever. This stream writes to file
/// descriptor 1 through a <see cref="FileStream"/> (the runtime ignores SIGPIPE, so a write to a closed pipe fails with
/// EPIPE, an <see cref="IOException"/>), and a thread waits in <c>poll(2)</c> for the error the kernel raises on a
/// pipe whose last reader has closed it.
/// </remarks>
internal sealed partial class StandardOutput : IDisposable
{
    private const short PollErr = 0x008;
    private const short PollHup = 0x010;
    private const short PollNval = 0x020;

    /// <summary>Cancelled once the reader has closed standard output.</summary>
    private readonly CancellationTokenSource _closed = new();

    /// <summary>Set by <see cref="Dispose"/>: the watcher thread ends at its next wake-up.</summary>
    private volatile bool _disposed;

    public StandardOutput()
    {
        Stream = new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
        if (!OperatingSystem.IsWindows())
        {
            new Thread(Watch) { IsBackground = true, Name = "stdout watcher" }.Start();
        }
    }

    /// <summary>File descriptor 1, unbuffered; writes to a closed pipe throw <see cref="IOException"/>.</summary>
    public Stream Stream { get; }

    /// <summary>Cancelled once the reader has closed standard output.</summary>
    public CancellationToken Closed => _closed.Token;

    public void Dispose()
    {
        _disposed = true;
        Stream.Dispose();
    }

    private void Watch()
    {
        // No events asked for: poll returns only for POLLERR (a pipe with no reader left), POLLHUP or POLLNVAL. A terminal
        // or a file never raises them; the one-second timeout only lets the thread notice disposal.
        var fd = new PollFd { Fd = 1, Events = 0 };
        while (!_disposed)
        {
            int ready = Poll(ref fd, 1, 1_000);
            if (ready < 0 && Marshal.GetLastPInvokeError() != 4 /* EINTR */)
            {
                return; // poll itself failed: writes still report a closed pipe
            }

            if (ready > 0 && (fd.REvents & (PollErr | PollHup | PollNval)) != 0)
            {
                _closed.Cancel();
                return;
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Poll(ref PollFd fds, nuint count, int timeoutMilliseconds);

    [StructLayout(LayoutKind.Sequential)]
    private struct PollFd
    {
        public int Fd;
        public short Events;
        public short REvents;
    }
}
