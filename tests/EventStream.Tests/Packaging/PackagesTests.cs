using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using EventStream.Tests.Infrastructure;

namespace EventStream.Tests.Packaging;

/// <summary>
/// The packages as a user gets them: <c>dotnet pack</c> of the four libraries, each nuspec and package inspected
/// (licence, README, icon, repository and commit, authors, tags, symbols with SourceLink), then all four restored from
/// that folder into a fresh console project outside the repository, which builds (the generator runs from the package)
/// and runs.
/// </summary>
public class PackagesTests
{
    private static readonly string[] Libraries = ["EventStream", "EventStream.AspNetCore", "EventStream.Nats", "EventStream.Webhooks"];

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public async Task Pack_EachPackageIsComplete_AndAllThreeRestoreIntoAFreshAppThatBuildsAndRuns()
    {
        string root = TestData.RepoRoot();
        string work = Path.Combine(Path.GetTempPath(), $"packages-{Guid.NewGuid():N}");
        string feed = Path.Combine(work, "feed");
        // A version of its own, so that the restore below cannot meet a package cached by an earlier run.
        string version = $"0.9.0-packtest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";
        string packagesCache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        try
        {
            foreach (string library in Libraries)
            {
                await RunAsync(root, "dotnet", "pack", Path.Combine("src", library), "--no-build", "-c", Configuration, "-o", feed, $"-p:Version={version}");
            }

            foreach (string library in Libraries)
            {
                using ZipArchive package = ZipFile.OpenRead(Path.Combine(feed, $"{library}.{version}.nupkg"));
                XElement metadata = XDocument.Load(package.GetEntry($"{library}.nuspec")!.Open()).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
                string Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";
                XElement Element(string name) => metadata.Elements().Single(e => e.Name.LocalName == name);

                Assert.Equal("MIT", Value("license"));
                Assert.Equal("expression", Element("license").Attribute("type")?.Value);
                Assert.Equal("README.md", Value("readme"));
                Assert.Equal("icon.png", Value("icon"));
                Assert.NotEqual(library, Value("authors"));
                Assert.NotEmpty(Value("description"));
                Assert.NotEmpty(Value("tags"));
                Assert.NotEmpty(Value("releaseNotes"));
                Assert.Equal("git", Element("repository").Attribute("type")?.Value);
                Assert.Matches("^[0-9a-f]{40}$", Element("repository").Attribute("commit")?.Value ?? "");
                foreach (string file in new[] { "README.md", "icon.png", "LICENSE", $"lib/net10.0/{library}.dll", $"lib/net10.0/{library}.xml" })
                {
                    Assert.True(package.GetEntry(file) is not null, $"{library}: {file} missing");
                }

                string readme = new StreamReader(package.GetEntry("README.md")!.Open()).ReadToEnd();
                Assert.StartsWith($"# {library}", readme, StringComparison.Ordinal);
                Assert.Contains("```csharp", readme, StringComparison.Ordinal); // its own short example

                using ZipArchive symbols = ZipFile.OpenRead(Path.Combine(feed, $"{library}.{version}.snupkg"));
                Assert.True(symbols.GetEntry($"lib/net10.0/{library}.pdb") is not null, $"{library}: no pdb in the snupkg");
            }

            using (ZipArchive core = ZipFile.OpenRead(Path.Combine(feed, $"EventStream.{version}.nupkg")))
            {
                Assert.NotNull(core.GetEntry("analyzers/dotnet/cs/EventStream.Generators.dll")); // [TrackingPlan] works with one reference
            }

            // A fresh app outside the repository (none of its Directory.*.props apply), restoring from the folder above.
            string app = Path.Combine(work, "app");
            Directory.CreateDirectory(app);
            File.WriteAllText(Path.Combine(app, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="local" value="{feed}" />
                    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <ImplicitUsings>enable</ImplicitUsings>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="EventStream" Version="{version}" />
                    <PackageReference Include="EventStream.AspNetCore" Version="{version}" />
                    <PackageReference Include="EventStream.Nats" Version="{version}" />
                    <PackageReference Include="EventStream.Webhooks" Version="{version}" />
                    <AdditionalFiles Include="plan.json" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(app, "plan.json"), """
                { "events": [ { "action": "order_completed", "name": "Order Completed", "properties": { "type": "object",
                  "required": ["order_id"], "properties": { "order_id": { "type": "string" }, "revenue": { "type": "number", "format": "decimal" } } } } ] }
                """);
            File.Copy(Path.Combine(root, "data", "sample-page.json"), Path.Combine(app, "sample-page.json"));
            File.WriteAllText(Path.Combine(app, "Program.cs"), """
                using EventStream.AspNetCore.Hosting;
                using EventStream.Nats;
                using EventStream.Parsing;
                using EventStream.Typed;
                using EventStream.Webhooks;
                using Microsoft.Extensions.DependencyInjection;

                EventCatalog catalog = EventCatalog.Combine(Shop.Catalog, IntileryEvents.Catalog);
                await using FileStream file = File.OpenRead(args[0]);
                EventPage page = await EventPage.ParseAsync(file, catalog, CancellationToken.None);
                Console.WriteLine($"events {page.Events.Count}");
                Console.WriteLine($"orders {page.Events.OfType<Shop.OrderCompleted>().Count()}");
                Console.WriteLine($"sms {page.Events.OfType<IntileryEvents.SmsSent>().Count()}");

                var services = new ServiceCollection();
                services.AddEventFeed(configure: s => (s.ClientId, s.AccountId, s.BrandId, s.AuthToken) = ("acme", "acme", "ACME", "token"));
                Console.WriteLine($"hosted {services.Count > 0}");
                var relay = new NatsRelayOptions();
                relay.Validate();
                Console.WriteLine($"stream {relay.StreamName}");
                var hooks = new WebhookForwarderOptions { Routes = [new WebhookRoute { Name = "crm", Endpoint = new Uri("https://crm.example.com/hook") }] };
                hooks.Validate();
                Console.WriteLine($"webhook attempts {hooks.RetrySchedule.Count}");

                [TrackingPlan("plan.json")]
                public static partial class Shop;
                """);

            string output = await RunAsync(app, "dotnet", "run", "--", "sample-page.json");

            Assert.Contains("events 12", output, StringComparison.Ordinal);
            Assert.Contains("orders 1", output, StringComparison.Ordinal);
            Assert.Contains("sms 1", output, StringComparison.Ordinal);
            Assert.Contains("hosted True", output, StringComparison.Ordinal);
            Assert.Contains("stream ", output, StringComparison.Ordinal);
            Assert.Contains("webhook attempts 7", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
            foreach (string library in Libraries)
            {
                string cached = Path.Combine(packagesCache, library.ToLowerInvariant(), version);
                if (Directory.Exists(cached))
                {
                    Directory.Delete(cached, recursive: true);
                }
            }
        }
    }

    private static async Task<string> RunAsync(string directory, string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using Process process = Process.Start(info)!;
        try
        {
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
            string text = await output + await error;
            Assert.True(process.ExitCode == 0, $"{file} {string.Join(' ', args)} exited {process.ExitCode}:\n{text}");
            return text;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
