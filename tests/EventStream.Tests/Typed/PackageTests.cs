using System.Diagnostics;
using System.IO.Compression;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Typed;

public class PackageTests
{
    [Fact]
    public async Task Pack_EventStreamPackage_CarriesTheGeneratorAsAnAnalyzer()
    {
        string root = TestData.RepoRoot();
        string configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        string output = Directory.CreateTempSubdirectory("eventstream-pack-").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet", ["pack", Path.Combine(root, "src", "EventStream", "EventStream.csproj"), "--no-build", "-c", configuration, "-o", output, "-p:PackageVersion=0.0.0-test"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using Process process = Process.Start(start)!;
            Task<string> stdout = process.StandardOutput.ReadToEndAsync();
            Task<string> stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, await stdout + await stderr);

            string package = Assert.Single(Directory.GetFiles(output, "*.nupkg"));
            using ZipArchive zip = ZipFile.OpenRead(package);
            var entries = zip.Entries.Select(e => e.FullName).ToList();

            Assert.Contains("analyzers/dotnet/cs/EventStream.Generators.dll", entries);
            Assert.Contains("lib/net10.0/EventStream.dll", entries);
            Assert.Contains("lib/net10.0/EventStream.xml", entries);
            Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e.EndsWith("EventStream.Generators.dll", StringComparison.Ordinal));
            using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            Assert.DoesNotContain("EventStream.Generators", await nuspec.ReadToEndAsync(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(output, recursive: true);
        }
    }
}
