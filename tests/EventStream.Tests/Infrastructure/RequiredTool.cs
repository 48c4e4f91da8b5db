namespace EventStream.Tests.Infrastructure;

/// <summary>
/// A program from the machine that some tests need (Debian's nats-server, chromium). <c>bash .ci/test</c>, the README's
/// test command, installs them when missing; a test run without them fails with one line saying what to install,
/// instead of a <c>Win32Exception</c> or a Playwright stack trace.
/// </summary>
internal static class RequiredTool
{
    /// <summary>The full path of <paramref name="name"/>, found on PATH or in the Debian package's own directories.</summary>
    public static string Find(string name, string package)
    {
        IEnumerable<string> directories = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/sbin", "/usr/local/bin"]);
        foreach (string directory in directories)
        {
            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"{name} is not installed: run `bash .ci/test` (it installs what the tests need) or `apt-get install -y {package}`.");
    }
}
