using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NATS.Client.Core;

namespace EventStream.Tests.Infrastructure;

/// <summary>
/// A real nats-server with JetStream (Debian's 2.9.10; <c>bash .ci/test</c> installs it), on 127.0.0.1 at a free port with its
/// store in a temporary directory; started and stopped by the test. It can be killed and started again on the same
/// port and store (a server restart).
/// </summary>
internal sealed class NatsServer : IAsyncDisposable
{
    private readonly string _store = Path.Combine(Path.GetTempPath(), $"nats-{Guid.NewGuid():N}");
    private Process? _process;

    private NatsServer(int port) => Port = port;

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    public static async Task<NatsServer> StartAsync()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var server = new NatsServer(port);
        await server.RestartAsync();
        return server;
    }

    public NatsConnection Connect() => new(new NatsOpts { Url = Url, Name = "eventstream-tests" });

    /// <summary>Starts the server (again), and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        Kill();
        var info = new ProcessStartInfo(RequiredTool.Find("nats-server", "nats-server")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "-js", "-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-sd", _store })
        {
            info.ArgumentList.Add(arg);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("nats-server did not start");
        _process.OutputDataReceived += static (_, _) => { };
        _process.ErrorDataReceived += static (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (int i = 0; i < 200; i++)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"nats-server did not listen on {Port}");
    }

    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(_store, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        return ValueTask.CompletedTask;
    }
}
