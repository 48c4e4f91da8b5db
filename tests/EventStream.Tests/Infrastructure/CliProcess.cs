using System.Diagnostics;

namespace EventStream.Tests.Infrastructure;

/// <summary>Runs the real <c>eventstream</c> CLI (the built EventStream.Cli.dll) as a child process.</summary>
internal sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private bool _disposed;

    private CliProcess(Process process) => _process = process;

    public Process Process => _process;

    public StreamReader Output => _process.StandardOutput;

    public StreamReader Error => _process.StandardError;

    /// <summary>Starts the CLI: the built EventStream.Cli.dll under <c>dotnet</c>, or <paramref name="executable"/> (a native build).</summary>
    public static CliProcess Start(IEnumerable<string> args, IDictionary<string, string>? environment = null, string? executable = null)
    {
        var info = new ProcessStartInfo(executable ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (executable is null)
        {
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "EventStream.Cli.dll"));
        }

        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment.Remove("EVENTSTREAM_TOKEN");
        info.Environment.Remove("EVENTSTREAM_DASHBOARD_TOKEN");
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        return new CliProcess(Process.Start(info)!);
    }

    /// <summary>Runs to completion and returns exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null, TimeSpan? timeout = null, string? executable = null)
    {
        await using CliProcess cli = Start(args, environment, executable);
        Task<string> output = cli.Output.ReadToEndAsync();
        Task<string> error = cli.Error.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        await cli._process.WaitForExitAsync(cts.Token);
        return (cli._process.ExitCode, await output, await error);
    }

    /// <summary>Sends SIGINT or SIGTERM, as a terminal or a service manager would.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Kills the process (and its children) if it still runs; safe to call again, so a test can stop it early and still hold it in <c>await using</c>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
