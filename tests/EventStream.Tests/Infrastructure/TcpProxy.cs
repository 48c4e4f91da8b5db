using System.Net;
using System.Net.Sockets;

namespace EventStream.Tests.Infrastructure;

/// <summary>
/// A TCP proxy on loopback to a local server, which a test can freeze: while frozen no byte goes either way, yet every
/// connection stays open — a connection that hangs, neither answering nor failing (a stalled network path, a half-dead
/// peer), which a client notices only by its own timers.
/// </summary>
internal sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _connections = [];
    private readonly Task _accepting;
    private TaskCompletionSource _flowing = NewGate(open: true);

    private TcpProxy(int target)
    {
        _target = target;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static TcpProxy Start(int targetPort) => new(targetPort);

    /// <summary>Stops forwarding (what is read is held until <see cref="Thaw"/>).</summary>
    public void Freeze()
    {
        if (Volatile.Read(ref _flowing).Task.IsCompleted)
        {
            Volatile.Write(ref _flowing, NewGate(open: false));
        }
    }

    /// <summary>Forwards again, what was held first.</summary>
    public void Thaw() => Volatile.Read(ref _flowing).TrySetResult();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        lock (_connections)
        {
            foreach (TcpClient c in _connections)
            {
                c.Dispose();
            }
        }

        await _accepting.ContinueWith(static _ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }

    private static TaskCompletionSource NewGate(bool open)
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (open)
        {
            gate.SetResult();
        }

        return gate;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            var server = new TcpClient();
            lock (_connections)
            {
                _connections.Add(client);
                _connections.Add(server);
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                    await Task.WhenAny(PumpAsync(client.GetStream(), server.GetStream()), PumpAsync(server.GetStream(), client.GetStream()));
                }
                catch (Exception)
                {
                    // a side closed, or the proxy stops
                }
                finally
                {
                    client.Dispose();
                    server.Dispose();
                }
            });
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        byte[] buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                int n = await from.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                await Volatile.Read(ref _flowing).Task.WaitAsync(_stop.Token);
                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception)
        {
            // closed or stopped
        }
    }
}
