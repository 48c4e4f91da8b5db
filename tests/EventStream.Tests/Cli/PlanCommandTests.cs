using System.Runtime.Loader;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStream.Cli.Plans;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Tests.Generator;
using EventStream.Tests.Infrastructure;
using EventStream.Typed;
using Microsoft.CodeAnalysis;

namespace EventStream.Tests.Cli;

/// <summary><c>eventstream plan infer</c> and <c>plan check</c>, in process, on the simulator's traffic.</summary>
public sealed class PlanCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("eventstream-plan-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exitCode = await EventStream.Cli.Program.RunAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    /// <summary>A backlog of the simulator's traffic (its 84 standard events, every kind of value) as tail --format ndjson writes it.</summary>
    private async Task<(string Path, List<byte[]> Events)> TrafficAsync(int count)
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => o.Seed = 42);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        List<byte[]> events = [.. simulator.AddBacklog(count, now.AddHours(-3), now.AddHours(-2)).OrderBy(e => e.EventTime).Select(e => e.Json.ToArray())];
        return (Write("traffic.ndjson", events), events);
    }

    private string Write(string name, IEnumerable<byte[]> events)
    {
        string path = Path.Combine(_directory, name);
        File.WriteAllLines(path, events.Select(e => Encoding.UTF8.GetString(e)));
        return path;
    }

    [Theory]
    [InlineData("plan", "infer")]
    [InlineData("plan", "infer", "--format", "yaml", "--from", "x.ndjson")]
    [InlineData("plan", "infer", "--from", "x.ndjson", "--format", "json-schema")]
    [InlineData("plan", "infer", "--from", "x.ndjson", "--demo")]
    [InlineData("plan", "check")]
    [InlineData("plan", "check", "plan.json", "--from", "x.ndjson", "--max-violations", "-1")]
    [InlineData("plan", "check", "no-such-plan.json", "--from", "x.ndjson")]
    [InlineData("plan", "infer", "--for", "soon", "--demo")]
    public async Task BadArguments_PrintUsage_Exit2(params string[] args)
    {
        (int exitCode, _, string error) = await RunAsync(args);

        Assert.Equal(2, exitCode);
        Assert.Contains(args[1] == "check" && args.Length == 5 ? "cannot read the plan" : "Usage:", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_APlanInAnotherFormatOrADirectory_RefusedSayingWhy_NotReportedAsAllUnplanned()
    {
        string traffic = Write("one.ndjson", ["{\"eventId\":\"e1\",\"eventAction\":\"order_completed\",\"eventTime\":\"2024-05-14T09:00:00Z\",\"rawData\":{\"properties\":{}}}"u8.ToArray()]);
        string plans = Path.Combine(TestData.RepoRoot(), "tests", "EventStream.Tests", "Generator", "Plans");

        (int exitCode, string output, string error) = await RunAsync("plan", "check", Path.Combine(plans, "segment.json"), "--from", traffic);
        Assert.Equal(2, exitCode);
        Assert.Empty(output);
        Assert.Contains("no event in it has an 'action'", error, StringComparison.Ordinal);
        Assert.Contains("looks like a Segment Protocols or Avo export", error, StringComparison.Ordinal);

        (exitCode, _, error) = await RunAsync("plan", "check", Path.Combine(plans, "jsonschema"), "--from", traffic);
        Assert.Equal(2, exitCode);
        Assert.Contains("it is a directory", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_TheSameEventsInAnotherOrder_TheSameBytes()
    {
        (string path, List<byte[]> events) = await TrafficAsync(2_000);
        string shuffled = Write("shuffled.ndjson", events.OrderBy(e => e.Length).ThenByDescending(e => Encoding.UTF8.GetString(e), StringComparer.Ordinal));

        (int first, string plan, string summary) = await RunAsync("plan", "infer", "--from", path);
        (int second, string again, _) = await RunAsync("plan", "infer", "--from", shuffled);

        Assert.Equal((0, 0), (first, second));
        Assert.Equal(plan, again);
        Assert.Matches(@"^eventstream plan infer: 2,000 events read; \d+ actions, \d+ properties\n$", summary);
    }

    [Fact]
    public async Task RoundTrip_InferGenerateDecode_NoViolation_AndCheckAgrees()
    {
        (string path, List<byte[]> events) = await TrafficAsync(5_000);
        string planPath = Path.Combine(_directory, "plan.json");

        (int inferred, _, string inferError) = await RunAsync("plan", "infer", "--from", path, "--out", planPath);
        (int checkedCode, string table, string checkError) = await RunAsync("plan", "check", planPath, "--from", path);

        Assert.True(inferred == 0, inferError);
        Assert.True(checkedCode == 0, checkError + table);
        Assert.Contains("0 violations", checkError, StringComparison.Ordinal);

        // The plan, compiled by the generator in a user's project, decodes the same traffic without a violation.
        EventCatalog catalog = Compile(File.ReadAllText(planPath));
        IReadOnlyList<IntileryEvent> decoded = NdjsonEvents.Read(File.ReadAllBytes(path), catalog);
        Assert.Equal(events.Count, decoded.Count);
        Assert.All(decoded, e => Assert.Empty(Assert.IsAssignableFrom<PlannedEvent>(e).Violations));
        Assert.Contains(decoded, e => e.GetType().Name == "OrderCompleted");
    }

    [Fact]
    public async Task Check_DeliberateDrift_ReportedByKindWithCountsAndAnExample_Exit1()
    {
        (string path, List<byte[]> events) = await TrafficAsync(3_000);
        string planPath = Path.Combine(_directory, "plan.json");
        Assert.Equal(0, (await RunAsync("plan", "infer", "--from", path, "--out", planPath)).ExitCode);
        JsonObject plan = JsonNode.Parse(File.ReadAllText(planPath))!.AsObject();
        JsonObject order = plan["events"]!.AsArray().Single(e => (string?)e!["action"] == "order_completed")!.AsObject();
        Assert.Equal("number", (string?)order["properties"]!["properties"]!["revenue"]!["type"]);

        // revenue turned from number to string in every order, and a new action.
        var drifted = new List<byte[]>();
        string? example = null;
        int orders = 0;
        foreach (byte[] e in events)
        {
            JsonObject o = JsonNode.Parse(e)!.AsObject();
            if ((string?)o["eventAction"] == "order_completed" && o["rawData"]?["properties"]?["revenue"] is JsonValue revenue)
            {
                o["rawData"]!["properties"]!["revenue"] = revenue.ToJsonString();
                example ??= (string?)o["eventId"];
                orders++;
            }

            drifted.Add(Encoding.UTF8.GetBytes(o.ToJsonString()));
        }

        JsonObject loyalty = JsonNode.Parse(events[0])!.AsObject();
        loyalty["eventAction"] = "loyalty_points_earned";
        drifted.Add(Encoding.UTF8.GetBytes(loyalty.ToJsonString()));
        string driftedPath = Write("drifted.ndjson", drifted);

        (int exitCode, string json, string error) = await RunAsync("plan", "check", planPath, "--from", driftedPath, "--format", "json");
        (int tableExit, string table, _) = await RunAsync("plan", "check", planPath, "--from", driftedPath, "--max-violations", "100000");

        Assert.Equal(1, exitCode);
        Assert.Equal(0, tableExit);
        JsonElement report = JsonDocument.Parse(json).RootElement;
        Assert.Equal(drifted.Count, report.GetProperty("events").GetInt64());
        var findings = report.GetProperty("findings").EnumerateArray().ToList();
        JsonElement wrong = findings.Single(f => f.GetProperty("action").GetString() == "order_completed" && f.GetProperty("path").GetString() == "properties.revenue");
        Assert.Equal("WrongType", wrong.GetProperty("kind").GetString());
        Assert.Equal(orders, wrong.GetProperty("count").GetInt64());
        Assert.Equal(example, wrong.GetProperty("example").GetString());
        Assert.Contains(findings, f => f.GetProperty("action").GetString() == "loyalty_points_earned" && f.GetProperty("kind").GetString() == "unplanned action");
        Assert.Equal(orders, report.GetProperty("violations").GetInt64());
        Assert.Contains("order_completed", table, StringComparison.Ordinal);
        Assert.Contains("unplanned action", table, StringComparison.Ordinal);
        Assert.Contains($"{orders:N0} violations", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Infer_FromTheLiveFeed_UntilCaughtUp()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync();
        DateTimeOffset now = DateTimeOffset.UtcNow;
        simulator.AddBacklog(400, now.AddHours(-3), now.AddHours(-2));

        (int exitCode, string plan, string error) = await RunAsync(
            "plan", "infer", "--base-url", simulator.BaseUrl.ToString(), "--client", simulator.Options.ClientId, "--account", simulator.Options.AccountId,
            "--brand", simulator.Options.BrandId, "--token", simulator.Options.Token, "--from-beginning", "--max-lateness", "1s");

        Assert.True(exitCode == 0, error);
        Assert.Contains("400 events read", error, StringComparison.Ordinal);
        Assert.DoesNotContain(simulator.Options.Token, error + plan, StringComparison.Ordinal);
        Assert.NotEmpty(JsonNode.Parse(plan)!["events"]!.AsArray());
    }

    [Fact]
    public void Inference_TypesFormatsEnumsRequiredAndNull()
    {
        var inference = new PlanInference();
        for (int i = 0; i < 30; i++)
        {
            string size = (i % 3) switch { 0 => "S", 1 => "M", _ => "L" };
            string coupon = i % 2 == 0 ? "null" : "\"C" + i + "\"";
            string extra = i == 0 ? ", \"rare\": true" : string.Empty;
            inference.Add(Encoding.UTF8.GetBytes($$"""
                { "eventId": "e{{i}}", "eventAction": "order_completed", "rawData": { "event": "Order Completed", "properties": {
                  "id": "{{Guid.NewGuid()}}", "at": "2024-05-14T09:18:{{i % 60:00}}Z", "day": "2024-05-{{1 + (i % 28):00}}", "email": "u{{i}}@example.com",
                  "url": "https://shop.example.com/p/{{i}}", "qty": {{i}}, "price": {{i}}.5, "size": "{{size}}", "coupon": {{coupon}},
                  "items": [ { "sku": "s{{i}}" } ]{{extra}} } } }
                """));
        }

        JsonNode e = inference.ToIntileryPlan()["events"]![0]!;
        JsonNode p = e["properties"]!["properties"]!;

        Assert.Equal("Order Completed", (string?)e["name"]);
        Assert.Equal("uuid", (string?)p["id"]!["format"]);
        Assert.Equal("date-time", (string?)p["at"]!["format"]);
        Assert.Equal("date", (string?)p["day"]!["format"]);
        Assert.Equal("email", (string?)p["email"]!["format"]);
        Assert.Equal("uri", (string?)p["url"]!["format"]);
        Assert.Equal("integer", (string?)p["qty"]!["type"]);
        Assert.Equal("number", (string?)p["price"]!["type"]);
        Assert.Equal(["L", "M", "S"], p["size"]!["enum"]!.AsArray().Select(v => (string?)v));
        Assert.Equal(["string", "null"], p["coupon"]!["type"]!.AsArray().Select(v => (string?)v));
        Assert.Null(p["coupon"]!["enum"]); // fifteen distinct values, each seen once: not an enum
        Assert.Equal("string", (string?)p["items"]!["items"]!["properties"]!["sku"]!["type"]);
        var required = e["properties"]!["required"]!.AsArray().Select(v => (string?)v).ToList();
        Assert.Contains("coupon", required);   // present (null counts) in every event
        Assert.DoesNotContain("rare", required); // in one of thirty
        Assert.Equal(30, inference.Events);
    }

    // Compiles the plan with the generator (as a user's project would) and returns its Catalog.
    private static EventCatalog Compile(string plan)
    {
        (GeneratorDriverRunResult _, Compilation output) = GeneratorHarness.RunPlan(plan);
        GeneratorSnapshotTests.AssertCompiles(output);
        using var image = new MemoryStream();
        Microsoft.CodeAnalysis.Emit.EmitResult emitted = output.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        image.Position = 0;
        var context = new AssemblyLoadContext("inferred-plan", isCollectible: true);
        System.Reflection.Assembly assembly = context.LoadFromStream(image);
        return (EventCatalog)assembly.GetType("Shop.ShopEvents")!.GetProperty("Catalog")!.GetValue(null)!;
    }
}
