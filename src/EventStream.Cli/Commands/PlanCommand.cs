using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EventStream.Api;
using EventStream.Cli.Plans;
using EventStream.Feed;
using EventStream.Generators;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Typed;

namespace EventStream.Cli.Commands;

/// <summary>
/// <c>eventstream plan infer</c>: a tracking plan from traffic; <c>eventstream plan check PLAN</c>: drift between traffic and a
/// plan. Both read NDJSON as <c>tail --format ndjson</c> writes it (<c>--from FILE</c>, <c>-</c> for stdin) or a live feed
/// (<c>tail</c>'s connection options; <c>--for DURATION</c>, else until caught up).
/// </summary>
internal static class PlanCommand
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Create(TextWriter output, TextWriter error)
        => new("plan", "Infer a tracking plan from traffic, or check traffic against one.")
        {
            Infer(output, error),
            Check(output, error),
        };

    private sealed class Source
    {
        public ConnectionOptions Connection { get; } = new();

        public Option<string?> From { get; } = new("--from") { Description = "Read events from this NDJSON file (as tail --format ndjson writes it; - for stdin) instead of the API" };

        public Option<TimeSpan?> For { get; } = new("--for") { Description = "Read the live feed for this long (e.g. 10m); without it, until caught up", CustomParser = r => Duration.Parse(r) };

        public void AddTo(Command command)
        {
            command.Options.Add(From);
            command.Options.Add(For);
            Connection.AddTo(command);
        }

        /// <summary>Reads every event into <paramref name="onEvent"/>; null when done, else the exit code (usage error or failure).</summary>
        public async Task<int?> ReadAsync(ParseResult parse, string name, NdjsonLines.LineHandler onEvent, Func<long> events, TextWriter error, CancellationToken cancellationToken)
        {
            if (parse.GetValue(From) is { } path)
            {
                if (parse.GetValue(For) is not null || parse.GetValue(Connection.Demo) || parse.GetValue(Connection.Client) is not null)
                {
                    return await Usage.FailAsync(parse, "give --from FILE or the connection options (--demo, --client …, --for), not both.", error).ConfigureAwait(false);
                }

                Stream input;
                try
                {
                    input = path == "-" ? Console.OpenStandardInput() : File.OpenRead(path);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    await error.WriteLineAsync($"eventstream plan {name}: cannot read {path}: {ex.Message}").ConfigureAwait(false);
                    return 1;
                }

                await using (input.ConfigureAwait(false))
                {
                    long length = input.CanSeek ? input.Length : 0;
                    bool progress = ReferenceEquals(error, Console.Error) && !Console.IsErrorRedirected && length > 0;
                    await NdjsonLines.ReadAsync(
                        input,
                        onEvent,
                        progress ? read => error.Write(string.Create(CultureInfo.InvariantCulture, $"\reventstream plan {name}: {read * 100 / length,3}% ({events():N0} events)")) : null,
                        cancellationToken).ConfigureAwait(false);
                    if (progress)
                    {
                        await error.WriteLineAsync().ConfigureAwait(false);
                    }
                }

                return null;
            }

            IntilerySimulator? simulator = null;
            try
            {
                (EventsApiOptions? api, FeedOptions? feed, simulator, int exitCode) = await Connection.BuildAsync(parse, error, cancellationToken).ConfigureAwait(false);
                if (api is null || feed is null)
                {
                    return exitCode;
                }

                feed.Logger = new StderrLogger(error, "eventstream plan " + name);
                TimeSpan? duration = parse.GetValue(For);
                await using var eventFeed = new EventFeed(api, feed) { StopWhenCaughtUp = duration is null };
                using var stop = duration is { } d ? new CancellationTokenSource(d, TimeProvider.System) : new CancellationTokenSource();
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stop.Token);
                try
                {
                    await foreach (IReadOnlyList<IntileryEvent> batch in eventFeed.ReadBatchesAsync(cancellationToken: linked.Token).ConfigureAwait(false))
                    {
                        foreach (IntileryEvent e in batch)
                        {
                            onEvent(e.Json.Span);
                        }
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested || cancellationToken.IsCancellationRequested)
                {
                    // --for elapsed, or SIGINT/SIGTERM: what was read is what the plan is made of
                }

                return null;
            }
            catch (Exception ex) when (ex is EventsApiException or FeedException)
            {
                await error.WriteLineAsync($"eventstream plan {name}: {ex.Message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
                return 1;
            }
            finally
            {
                if (simulator is not null)
                {
                    await simulator.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    private static Command Infer(TextWriter output, TextWriter error)
    {
        var source = new Source();
        var outPath = new Option<string?>("--out") { Description = "Write the plan to FILE (default stdout); a directory for --format json-schema" };
        var format = new Option<string>("--format") { Description = "intilery (one file, data/tracking-plan.json's format) or json-schema (a file per action)", DefaultValueFactory = _ => "intilery" };
        format.AcceptOnlyFromAmong("intilery", "json-schema");
        var command = new Command("infer", "Write a tracking plan inferred from events: types, formats, enums, required and nullable properties.");
        source.AddTo(command);
        command.Options.Add(outPath);
        command.Options.Add(format);
        command.SetStoppableAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            bool jsonSchema = parse.GetValue(format) == "json-schema";
            string? target = parse.GetValue(outPath);
            if (jsonSchema && target is null)
            {
                return await Usage.FailAsync(parse, "--format json-schema writes a file per action: give --out DIRECTORY.", error).ConfigureAwait(false);
            }

            var inference = new PlanInference();
            if (await source.ReadAsync(parse, "infer", inference.Add, () => inference.Events, error, cancellationToken).ConfigureAwait(false) is { } exit)
            {
                return exit;
            }

            if (jsonSchema)
            {
                Directory.CreateDirectory(target!);
                foreach ((string file, JsonObject schema) in inference.ToJsonSchemaFiles())
                {
                    await File.WriteAllTextAsync(Path.Combine(target!, file), schema.ToJsonString(Indented) + "\n", cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                string text = inference.ToIntileryPlan().ToJsonString(Indented) + "\n";
                if (target is null)
                {
                    await output.WriteAsync(text).ConfigureAwait(false);
                    await output.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await File.WriteAllTextAsync(target, text, cancellationToken).ConfigureAwait(false);
                }
            }

            string skipped = inference.Skipped > 0 ? string.Create(CultureInfo.InvariantCulture, $" ({inference.Skipped:N0} lines were not events)") : string.Empty;
            await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"eventstream plan infer: {inference.Events:N0} events read{skipped}; {inference.Actions} actions, {inference.Properties} properties{(target is null ? string.Empty : "; wrote " + target)}")).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static Command Check(TextWriter output, TextWriter error)
    {
        var source = new Source();
        var plan = new Argument<string>("PLAN")
        {
            Description = "The plan, in any format [TrackingPlan] reads: ours (as plan infer writes), Segment Protocols, Avo, Iglu or JSON Schema; a file, or a directory of schema files",
        };
        var planFormat = new Option<string>("--plan-format") { Description = "auto (detected from the content, default), intilery, segment, avo, json-schema or iglu", DefaultValueFactory = _ => "auto" };
        planFormat.AcceptOnlyFromAmong("auto", "intilery", "segment", "avo", "json-schema", "iglu");
        var format = new Option<string?>("--format") { Description = "table (default) or json" };
        format.AcceptOnlyFromAmong("table", "json");
        var maxViolations = new Option<long>("--max-violations") { Description = "Exit 1 when more values than this break the plan (default 0)", DefaultValueFactory = _ => 0 };
        var command = new Command("check", "Report drift between events and a tracking plan: violations by kind, unplanned actions and properties.");
        command.Arguments.Add(plan);
        source.AddTo(command);
        command.Options.Add(planFormat);
        command.Options.Add(format);
        command.Options.Add(maxViolations);
        command.SetStoppableAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            if (parse.GetValue(maxViolations) < 0)
            {
                return await Usage.FailAsync(parse, "--max-violations must be 0 or more.", error).ConfigureAwait(false);
            }

            PlanCheck check;
            try
            {
                PlanFormat planned = parse.GetValue(planFormat) switch
                {
                    "intilery" => PlanFormat.Intilery,
                    "segment" => PlanFormat.Segment,
                    "avo" => PlanFormat.Avo,
                    "json-schema" => PlanFormat.JsonSchema,
                    "iglu" => PlanFormat.Iglu,
                    _ => PlanFormat.Auto,
                };
                check = PlanCheck.FromPath(parse.GetValue(plan)!, planned);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
            {
                string hint = ex.Message.Contains(PlanDiagnostics.InvalidPlan, StringComparison.Ordinal) ? " (here: --plan-format names the format)" : string.Empty;
                await error.WriteLineAsync($"eventstream plan check: cannot read the plan {parse.GetValue(plan)}: {ex.Message}{hint}").ConfigureAwait(false);
                return Program.UsageError;
            }

            foreach (string warning in check.Warnings)
            {
                await error.WriteLineAsync($"eventstream plan check: warning {warning}").ConfigureAwait(false);
            }

            if (await source.ReadAsync(parse, "check", check.Add, () => check.Events, error, cancellationToken).ConfigureAwait(false) is { } exit)
            {
                return exit;
            }

            if (parse.GetValue(format) == "json")
            {
                var report = new JsonObject
                {
                    ["events"] = check.Events,
                    ["skipped"] = check.Skipped,
                    ["violations"] = check.Violations,
                    ["findings"] = new JsonArray([.. check.Findings.Select(f => (JsonNode)new JsonObject
                    {
                        ["action"] = f.Action,
                        ["path"] = f.Path,
                        ["kind"] = f.Kind,
                        ["count"] = f.Count,
                        ["expected"] = f.Expected,
                        ["example"] = f.Example,
                    })]),
                };
                await output.WriteLineAsync(report.ToJsonString(Indented)).ConfigureAwait(false);
            }
            else if (!check.Findings.Any())
            {
                await output.WriteLineAsync("No drift: every event matches the plan.").ConfigureAwait(false);
            }
            else
            {
                var rows = check.Findings.Select(f => new[] { f.Action, f.Path, f.Kind, f.Count.ToString("N0", CultureInfo.InvariantCulture), f.Expected ?? "", f.Example }).ToList();
                string[] header = ["ACTION", "PATH", "KIND", "COUNT", "EXPECTED", "EXAMPLE EVENT"];
                int[] widths = [.. header.Select((h, i) => Math.Min(48, rows.Select(r => r[i].Length).Append(h.Length).Max()))];
                foreach (string[] row in rows.Prepend(header))
                {
                    await output.WriteLineAsync(string.Join("  ", row.Select((c, i) => (c.Length > widths[i] ? c[..(widths[i] - 1)] + "…" : c).PadRight(widths[i]))).TrimEnd()).ConfigureAwait(false);
                }
            }

            await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"eventstream plan check: {check.Events:N0} events read against {check.PlannedActions} planned actions; {check.Violations:N0} violations (max {parse.GetValue(maxViolations):N0})")).ConfigureAwait(false);
            return check.Violations > parse.GetValue(maxViolations) ? 1 : 0;
        });
        return command;
    }
}
