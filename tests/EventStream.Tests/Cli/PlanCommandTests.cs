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

    /// <summary>The generator's fixtures: one plan (application_opened, identify, order_completed, product_viewed) in every format.</summary>
    public static TheoryData<string> OtherFormats => new() { "segment.json", "segment-api.json", "avo.json", "jsonschema", "iglu" };

    [Theory]
    [MemberData(nameof(OtherFormats))]
    public async Task Check_APlanInAnotherFormat_FileOrDirectory_TheSameFindingsAsOurs(string plan)
    {
        (string traffic, _) = await TrafficAsync(2_000);
        string plans = Path.Combine(TestData.RepoRoot(), "tests", "EventStream.Tests", "Generator", "Plans");

        (int oursExit, string ours, string oursError) = await RunAsync("plan", "check", Path.Combine(plans, "intilery.json"), "--from", traffic, "--format", "json");
        (int exitCode, string report, string error) = await RunAsync("plan", "check", Path.Combine(plans, plan), "--from", traffic, "--format", "json");

        // The simulator sends every standard event with values the fixture's plan does not all allow: real drift.
        Assert.True(oursExit == 1, oursError);
        JsonNode expected = JsonNode.Parse(ours)!;
        Assert.True(expected["violations"]!.GetValue<long>() > 0);
        Assert.Contains(expected["findings"]!.AsArray(), f => (string?)f!["kind"] == "unplanned action");
        Assert.Contains(expected["findings"]!.AsArray(), f => (string?)f!["action"] == "order_completed");
        Assert.True(exitCode == 1, error);
        Assert.Equal(expected.ToJsonString(), JsonNode.Parse(report)!.ToJsonString());
        Assert.Contains("against 4 planned actions", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_NotAPlan_OrADirectoryWithoutOne_RefusedSayingWhy_Exit2()
    {
        string traffic = Write("one.ndjson", ["{\"eventId\":\"e1\",\"eventAction\":\"order_completed\",\"eventTime\":\"2024-05-14T09:00:00Z\",\"rawData\":{\"properties\":{}}}"u8.ToArray()]);
        string notAPlan = Path.Combine(_directory, "package.json");
        File.WriteAllText(notAPlan, """{ "name": "shop", "version": "1.0.0", "dependencies": {} }""");
        string empty = Directory.CreateDirectory(Path.Combine(_directory, "empty")).FullName;
        string broken = Path.Combine(_directory, "broken.json");
        File.WriteAllText(broken, "{ \"events\": [\n  { \"action\": \"a\", }\n");

        (int exitCode, string output, string error) = await RunAsync("plan", "check", notAPlan, "--from", traffic);
        Assert.Equal(2, exitCode);
        Assert.Empty(output);
        Assert.Contains("cannot read the plan", error, StringComparison.Ordinal);
        Assert.Contains("ESG003 package.json(1,1)", error, StringComparison.Ordinal);
        Assert.Contains("--plan-format", error, StringComparison.Ordinal);

        (exitCode, _, error) = await RunAsync("plan", "check", empty, "--from", traffic);
        Assert.Equal(2, exitCode);
        Assert.Contains("holds no plan files", error, StringComparison.Ordinal);

        (exitCode, _, error) = await RunAsync("plan", "check", broken, "--from", traffic);
        Assert.Equal(2, exitCode);
        Assert.Contains("ESG002 broken.json(2,20)", error, StringComparison.Ordinal); // the comma before }
        Assert.Contains("not valid JSON", error, StringComparison.Ordinal);
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

    private const string ConstructsPlan = """
        { "definitions": {
            "card": { "type": "object", "required": ["method", "last4"], "properties": { "method": { "const": "card" }, "last4": { "type": "string", "pattern": "^[0-9]{4}$" } } },
            "country": { "type": "string", "minLength": 2, "maxLength": 2 } },
          "events": [
            { "action": "checkout_step_completed", "name": "Checkout Step Completed", "properties": {
                "type": "object", "required": ["order_id", "payment"],
                "properties": {
                  "order_id": { "type": "string", "pattern": "^NW-ORD-[0-9]+$", "minLength": 8, "maxLength": 32 },
                  "step": { "type": "integer", "minimum": 1, "maximum": 5 },
                  "total": { "type": "number", "exclusiveMinimum": 0 },
                  "tier": { "type": "integer", "enum": [1, 2, 3] },
                  "payment": { "oneOf": [
                    { "$ref": "#/definitions/card" },
                    { "type": "object", "required": ["method"], "properties": { "method": { "const": "paypal" }, "payer_email": { "type": "string", "format": "email" } } } ] },
                  "country": { "$ref": "#/definitions/country" },
                  "attributes": { "type": "object", "additionalProperties": { "type": "string" } },
                  "label": { "enum": ["gift", 1, true, null] },
                  "address": { "allOf": [ { "type": "object", "properties": { "city": { "type": "string" } } }, { "properties": { "zip": { "type": "string", "maxLength": 5 } } } ] }
                } } },
            { "action": "coupon_applied", "name": "Coupon Applied", "properties": {
                "type": "object", "additionalProperties": false,
                "properties": { "coupon": { "type": "string" }, "discount": { "type": "number", "minimum": 0, "maximum": 100 } } } }
          ] }
        """;

    [Fact]
    public void Check_FindsWhatTheGeneratedDecoderFinds_UnionsMapsLimitsRefsAllOfClosedObjects()
    {
        const string Good = "\"order_id\":\"NW-ORD-1234\",\"step\":2,\"total\":9.5,\"tier\":2,\"payment\":{\"method\":\"card\",\"last4\":\"1234\"},\"country\":\"GB\",\"attributes\":{\"a\":\"x\"},\"label\":1,\"address\":{\"city\":\"Leeds\",\"zip\":\"LS1\"}";
        string[] drift =
        [
            Good,
            Good.Replace("NW-ORD-1234", "X1", StringComparison.Ordinal),                                  // length (checked before the pattern)
            Good.Replace("NW-ORD-1234", "NW-ORD-12X4", StringComparison.Ordinal),                         // pattern
            Good.Replace("\"step\":2", "\"step\":9", StringComparison.Ordinal),                           // maximum
            Good.Replace("\"total\":9.5", "\"total\":0", StringComparison.Ordinal),                       // exclusiveMinimum
            Good.Replace("\"tier\":2", "\"tier\":7", StringComparison.Ordinal),                           // integer enum
            Good.Replace("\"last4\":\"1234\"", "\"last4\":\"12a4\"", StringComparison.Ordinal),           // a union case's pattern, through a $ref
            Good.Replace("{\"method\":\"card\",\"last4\":\"1234\"}", "{\"method\":\"cash\"}", StringComparison.Ordinal),                       // unknown case
            Good.Replace("{\"method\":\"card\",\"last4\":\"1234\"}", "{\"last4\":\"1234\"}", StringComparison.Ordinal),                        // no discriminator
            Good.Replace("{\"method\":\"card\",\"last4\":\"1234\"}", "{\"payer_email\":\"nobody\",\"method\":\"paypal\"}", StringComparison.Ordinal), // the other case, discriminator last
            Good.Replace("\"GB\"", "\"GBR\"", StringComparison.Ordinal),                                  // $ref'd length
            Good.Replace("{\"a\":\"x\"}", "{\"a\":\"x\",\"b\":3}", StringComparison.Ordinal),               // a map's value
            Good.Replace("\"label\":1", "\"label\":\"other\"", StringComparison.Ordinal),                 // mixed-type enum
            Good.Replace("\"LS1\"", "\"LS1 4AP\"", StringComparison.Ordinal),                              // allOf's second part
        ];
        List<string> events = [.. drift.Select((p, i) => $"{{\"eventId\":\"e{i}\",\"eventAction\":\"checkout_step_completed\",\"eventTime\":\"2024-05-14T09:00:00Z\",\"rawData\":{{\"properties\":{{{p}}}}}}}")];
        events.Add("{\"eventId\":\"c1\",\"eventAction\":\"coupon_applied\",\"eventTime\":\"2024-05-14T09:00:00Z\",\"rawData\":{\"properties\":{\"coupon\":\"A\",\"extra\":1}}}");     // closed object
        events.Add("{\"eventId\":\"c2\",\"eventAction\":\"coupon_applied\",\"eventTime\":\"2024-05-14T09:00:00Z\",\"rawData\":{\"properties\":{\"discount\":101}}}");              // maximum
        byte[] ndjson = Encoding.UTF8.GetBytes(string.Join("\n", events) + "\n");

        EventCatalog catalog = Compile(ConstructsPlan);
        var decoded = NdjsonEvents.Read(ndjson, catalog).SelectMany(e => Assert.IsAssignableFrom<PlannedEvent>(e).Violations)
            .GroupBy(v => $"{v.EventAction} {v.Path} {v.Kind}").ToDictionary(g => g.Key, g => (long)g.Count());

        PlanCheck check = PlanCheck.FromPlan(ConstructsPlan);
        foreach (string e in events)
        {
            check.Add(Encoding.UTF8.GetBytes(e));
        }

        var found = check.Findings.Where(f => f.Kind is not ("unplanned action" or "unplanned property"))
            .ToDictionary(f => $"{f.Action} {f.Path} {f.Kind}", f => f.Count);
        Assert.Equal(16, check.Events);
        Assert.True(decoded.Count >= 14, string.Join("\n", decoded));
        string byDecoder = string.Join("\n", decoded.OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key} {d.Value}"));
        string byCheck = string.Join("\n", found.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} {f.Value}"));
        Assert.True(byDecoder == byCheck, $"decoder:\n{byDecoder}\nplan check:\n{byCheck}");
        // The reader's warnings come with it, located: the mixed-type enum is decoded as a JsonElement (and still checked).
        Assert.StartsWith("ESG004 plan.json(17,30): 'label'", Assert.Single(check.Warnings), StringComparison.Ordinal);
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
