using System.CommandLine;
using System.Globalization;
using EventStream.Api;
using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Parsing;
using EventStream.Simulator;

namespace EventStream.Cli.Commands;

/// <summary><c>eventstream tail</c>: streams events to stdout as NDJSON (exactly as received) or as a live table.</summary>
internal static class TailCommand
{
    public const string TokenVariable = "EVENTSTREAM_TOKEN";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var baseUrl = new Option<string>("--base-url") { Description = "The API's URL up to {clientId}", DefaultValueFactory = _ => EventsApiOptions.DefaultBaseUrl.ToString() };
        var client = new Option<string?>("--client") { Description = "Intilery clientId" };
        var account = new Option<string?>("--account") { Description = "Intilery accountId" };
        var brand = new Option<string?>("--brand") { Description = "Intilery brandId" };
        var token = new Option<string?>("--token") { Description = $"The auth-token (or set {TokenVariable})" };
        var include = new Option<string?>("--include") { Description = "Only these actions, comma-separated (filtered by the server)" };
        var exclude = new Option<string?>("--exclude") { Description = "Not these actions, comma-separated (filtered by the server)" };
        var since = new Option<DateTimeOffset?>("--since") { Description = "Start at this ISO 8601 time", CustomParser = ParseTime };
        var fromBeginning = new Option<bool>("--from-beginning") { Description = "Start with the oldest event" };
        var last = new Option<int?>("--last") { Description = "Start with the newest N events (1..10000)" };
        var until = new Option<DateTimeOffset?>("--until") { Description = "Stop after every event before this ISO 8601 time", CustomParser = ParseTime };
        var maxLateness = new Option<TimeSpan?>("--max-lateness") { Description = "How late an event may arrive and still be delivered (e.g. 30s, 2m)", CustomParser = r => Duration.Parse(r) };
        var format = new Option<string?>("--format") { Description = "ndjson (events exactly as received) or table (default on a terminal)" };
        format.AcceptOnlyFromAmong("ndjson", "table");
        var untilCaughtUp = new Option<bool>("--until-caught-up") { Description = "Exit once the newest event has been delivered and late arrivals have been swept" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Save the position in FILE and resume from it" };
        var demo = new Option<bool>("--demo") { Description = "Tail the embedded simulator (live synthetic traffic); no account needed" };
        var allowInsecureHttp = new Option<bool>("--allow-insecure-http") { Description = "Allow a plain http:// --base-url to a host that is not loopback (sends the token in cleartext)" };

        var command = new Command("tail", "Stream Intilery events as they happen.")
        {
            baseUrl, client, account, brand, token, include, exclude, since, fromBeginning, last, until, maxLateness, format, untilCaughtUp, checkpoint, demo, allowInsecureHttp,
        };
        command.SetAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            int starts = (parse.GetValue(since) is null ? 0 : 1) + (parse.GetValue(fromBeginning) ? 1 : 0) + (parse.GetValue(last) is null ? 0 : 1);
            if (starts > 1)
            {
                return await Usage.FailAsync(parse, "give only one of --since, --from-beginning, --last.", error).ConfigureAwait(false);
            }

            if (parse.GetValue(last) is < 1 or > 10_000)
            {
                return await Usage.FailAsync(parse, "--last must be between 1 and 10000.", error).ConfigureAwait(false);
            }

            bool isDemo = parse.GetValue(demo);
            IntilerySimulator? simulator = null;
            try
            {
                var api = new EventsApiOptions();
                if (isDemo)
                {
                    simulator = await IntilerySimulator.StartAsync(DemoOptions(), cancellationToken).ConfigureAwait(false);
                    (api.BaseUrl, api.ClientId, api.AccountId, api.BrandId, api.AuthToken) =
                        (simulator.BaseUrl, simulator.Options.ClientId, simulator.Options.AccountId, simulator.Options.BrandId, simulator.Options.Token);
                }
                else
                {
                    string? missing = parse.GetValue(client) is null ? "--client" : parse.GetValue(account) is null ? "--account" : parse.GetValue(brand) is null ? "--brand" : null;
                    if (missing is not null)
                    {
                        return await Usage.FailAsync(parse, $"{missing} is required (or use --demo).", error).ConfigureAwait(false);
                    }

                    string? secret = parse.GetValue(token) ?? Environment.GetEnvironmentVariable(TokenVariable);
                    if (string.IsNullOrWhiteSpace(secret))
                    {
                        return await Usage.FailAsync(parse, $"--token is required (or set {TokenVariable}).", error).ConfigureAwait(false);
                    }

                    if (!Uri.TryCreate(parse.GetValue(baseUrl), UriKind.Absolute, out Uri? url))
                    {
                        return await Usage.FailAsync(parse, "--base-url must be an absolute URL.", error).ConfigureAwait(false);
                    }

                    (api.BaseUrl, api.ClientId, api.AccountId, api.BrandId, api.AuthToken) = (url, parse.GetValue(client)!, parse.GetValue(account)!, parse.GetValue(brand)!, secret);
                    api.AllowInsecureHttp = parse.GetValue(allowInsecureHttp);
                    try
                    {
                        api.Validate();
                    }
                    catch (ArgumentException ex) when (ex.ParamName == nameof(EventsApiOptions.BaseUrl))
                    {
                        string rule = ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal).Replace("BaseUrl", "--base-url", StringComparison.Ordinal)
                            .Replace("AllowInsecureHttp", "--allow-insecure-http", StringComparison.Ordinal);
                        return await Usage.FailAsync(parse, rule, error).ConfigureAwait(false);
                    }
                }

                FeedOptions feed = new()
                {
                    Include = Split(parse.GetValue(include)),
                    Exclude = Split(parse.GetValue(exclude)),
                    Until = parse.GetValue(until),
                    Start = parse.GetValue(since) is { } t ? FeedStart.At(t)
                        : parse.GetValue(fromBeginning) ? FeedStart.Beginning
                        : parse.GetValue(last) is { } n ? FeedStart.Latest(n)
                        : isDemo ? FeedStart.Latest(20)
                        : FeedStart.Now,
                    CheckpointStore = parse.GetValue(checkpoint) is { } file ? new FileCheckpointStore(file) : null,
                };
                bool table = parse.GetValue(format) is { } f ? f == "table" : !Console.IsOutputRedirected;
                if (!table)
                {
                    // Retries, recoveries, skipped events, failed checkpoint saves: one line each on stderr (the table shows them itself).
                    feed.Logger = new StderrLogger(error, "eventstream tail");
                }

                if (parse.GetValue(maxLateness) is { } lateness)
                {
                    feed.MaxLateness = lateness;
                }
                else if (isDemo)
                {
                    feed.MaxLateness = TimeSpan.FromSeconds(5);
                }

                EventFeed eventFeed;
                try
                {
                    eventFeed = new EventFeed(api, feed) { StopWhenCaughtUp = parse.GetValue(untilCaughtUp) };
                }
                catch (ArgumentException ex)
                {
                    return await Usage.FailAsync(parse, ex.Message, error).ConfigureAwait(false);
                }

                await using (eventFeed.ConfigureAwait(false))
                {
                    return table
                        ? await TableView.RunAsync(eventFeed, isDemo, cancellationToken).ConfigureAwait(false)
                        : await RunNdjsonAsync(eventFeed, error, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is EventsApiException or FeedException or InvalidDataException or EventPageFormatException)
            {
                await error.WriteLineAsync($"eventstream tail: {OneLine(ex)}").ConfigureAwait(false);
                return 1;
            }
            finally
            {
                if (simulator is not null)
                {
                    await simulator.DisposeAsync().ConfigureAwait(false);
                }
            }
        });
        return command;
    }

    // Each event's JSON exactly as received, one per line. A batch (whatever has arrived) is flushed to stdout before
    // the next is asked for, so the checkpoint never records an event that is still in a buffer.
    private static async Task<int> RunNdjsonAsync(EventFeed feed, TextWriter error, CancellationToken cancellationToken)
    {
        Stream stdout = new BufferedStream(Console.OpenStandardOutput(), 64 * 1024);
        await using (stdout.ConfigureAwait(false))
        {
            try
            {
                await foreach (IReadOnlyList<IntileryEvent> batch in feed.ReadBatchesAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    foreach (IntileryEvent e in batch)
                    {
                        stdout.Write(e.Json.Span);
                        stdout.WriteByte((byte)'\n');
                    }

                    stdout.Flush();
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 0; // SIGINT/SIGTERM: what was received is written; disposing the feed saves the checkpoint
            }
            catch (IOException ex)
            {
                await error.WriteLineAsync($"eventstream tail: stdout closed ({ex.Message})").ConfigureAwait(false);
                return 0; // e.g. piped into head
            }
        }

        return 0;
    }

    // The error and, for a connection that failed, what the socket said (e.g. the host cannot be resolved), on one line.
    private static string OneLine(Exception ex)
    {
        string message = ex.Message;
        if (ex is EventsApiException { StatusCode: null } && ex.InnerException?.InnerException is { } cause && !message.Contains(cause.Message, StringComparison.Ordinal))
        {
            message += $" ({cause.Message})";
        }

        return message.ReplaceLineEndings(" ");
    }

    private static SimulatorOptions DemoOptions() => new()
    {
        Token = "demo-" + Guid.NewGuid().ToString("N"),
        Backlog = 500,
        BacklogSpan = TimeSpan.FromMinutes(10),
        LiveRate = 8,
        LateShare = 0.05,
        MaxLate = TimeSpan.FromSeconds(3),
        BurstShare = 0.02,
        MaxBurstSize = 5,
        Seed = Environment.TickCount,
    };

    private static string[] Split(string? list)
        => list is null ? [] : [.. list.Split(',', StringSplitOptions.TrimEntries)];

    private static DateTimeOffset? ParseTime(System.CommandLine.Parsing.ArgumentResult result)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset time)
            && text.Length >= 10 && char.IsDigit(text[0]))
        {
            return time;
        }

        result.AddError($"'{text}' is not an ISO 8601 time, e.g. 2024-05-14T09:00:00Z.");
        return null;
    }
}
