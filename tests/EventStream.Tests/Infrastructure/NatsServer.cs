using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NATS.Client.Core;

namespace EventStream.Tests.Infrastructure;

/// <summary>
/// A real nats-server with JetStream (Debian's 2.9.10; <c>bash .ci/test</c> installs it), on 127.0.0.1 at a free port with its
/// store in a temporary directory; started and stopped by the test. It can be killed and started again on the same
/// port and store (a server restart). Given configuration (an <c>authorization</c> or <c>tls</c> block), it runs from a
/// config file that <see cref="ReloadAsync"/> can rewrite while it runs (SIGHUP, as an operator reloads one).
/// </summary>
internal sealed class NatsServer : IAsyncDisposable
{
    private readonly string _store = Path.Combine(Path.GetTempPath(), $"nats-{Guid.NewGuid():N}");
    private readonly List<string> _log = []; // the server's output, for waiting on a reload
    private string? _config;
    private Process? _process;

    private NatsServer(int port, string? config) => (Port, _config) = (port, config);

    public int Port { get; }

    public string Url => $"nats://127.0.0.1:{Port}";

    private string ConfigFile => Path.Combine(_store, "nats.conf");

    public static Task<NatsServer> StartAsync() => StartAsync(null);

    /// <summary>Starts a server with <paramref name="config"/> (nats-server configuration text) added to its listen and JetStream settings.</summary>
    public static async Task<NatsServer> StartAsync(string? config)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var server = new NatsServer(port, config);
        await server.RestartAsync();
        return server;
    }

    public NatsConnection Connect() => new(new NatsOpts { Url = Url, Name = "eventstream-tests" });

    /// <summary>Connects with these options (their URL replaced by this server's, keeping its scheme).</summary>
    public NatsConnection Connect(NatsOpts opts) => new(opts with { Url = $"{(opts.Url.StartsWith("tls:", StringComparison.Ordinal) ? "tls" : "nats")}://127.0.0.1:{Port}", Name = "eventstream-tests" });

    /// <summary>Rewrites the configuration and has the running server reload it (SIGHUP).</summary>
    public async Task ReloadAsync(string config)
    {
        _config = config;
        WriteConfig();
        int reloads = Reloads();
        using var hup = Process.Start("kill", ["-HUP", _process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await hup.WaitForExitAsync();
        for (int i = 0; Reloads() == reloads; i++)
        {
            if (i == 200)
            {
                throw new InvalidOperationException($"nats-server did not reload its configuration: {string.Join("\n", Log)}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>What the server printed.</summary>
    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_log)
            {
                return [.. _log];
            }
        }
    }

    private int Reloads() => Log.Count(l => l.Contains("Reloaded server configuration", StringComparison.Ordinal));

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.Add(line);
            }
        }
    }

    private void WriteConfig()
    {
        Directory.CreateDirectory(_store);
        File.WriteAllText(ConfigFile, $"listen: \"127.0.0.1:{Port}\"\njetstream {{ store_dir: \"{_store}\" }}\n{_config}\n");
    }

    /// <summary>Starts the server (again), and waits until it accepts connections.</summary>
    public async Task RestartAsync()
    {
        Kill();
        var info = new ProcessStartInfo(RequiredTool.Find("nats-server", "nats-server")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (_config is not null)
        {
            WriteConfig();
        }

        string[] args = _config is null
            ? ["-js", "-a", "127.0.0.1", "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-sd", _store]
            : ["-c", ConfigFile];
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        _process = Process.Start(info) ?? throw new InvalidOperationException("nats-server did not start");
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        for (int i = 0; i < 200 && !_process.HasExited; i++)
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

        string log = string.Join("\n", Log);
        Kill();
        throw new InvalidOperationException($"nats-server did not listen on {Port}: {log}");
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
