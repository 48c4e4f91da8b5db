using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EventStream.Api;
using EventStream.Feed;
using EventStream.Nats;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Webhooks;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace EventStream.Cli.Commands;

/// <summary>
/// <c>eventstream forward --to URL | --routes FILE</c>: delivers the feed to webhooks (<see cref="WebhookForwarder"/>):
/// signed per Standard Webhooks, at least once, per customer in order, retried, dead-lettered. Same connection and start
/// options as <c>tail</c> (<see cref="ConnectionOptions"/>); a status line on stderr every few seconds; SIGINT/SIGTERM stop
/// it cleanly (deliveries in flight given the drain time, the acknowledged checkpoint saved, exit 0). With
/// <c>--replay-dead-letters FILE</c> it sends a dead-letter file again and exits. Dead letters go to an NDJSON file, or
/// with <c>jetstream:STREAM</c> to a JetStream stream on <c>--nats</c> (<see cref="JetStreamDeadLetterStore"/>; NATS
/// options as <c>relay</c>'s). Nothing it prints holds a secret.
/// </summary>
internal static class ForwardCommand
{
    /// <summary>How <c>--dead-letters</c> and <c>--replay-dead-letters</c> name a JetStream stream rather than a file.</summary>
    private const string JetStreamScheme = "jetstream:";

    public static Command Create(TextWriter output, TextWriter error)
    {
        var connection = new ConnectionOptions();
        var to = new Option<string?>("--to") { Description = "Deliver every event to this URL (https, or http to loopback)" };
        var routes = new Option<FileInfo?>("--routes") { Description = "JSON: { \"routes\": [ { \"name\", \"url\", \"include\"?, \"exclude\"?, \"properties\"? {name: value}, \"secretEnv\"? or \"secretFile\"?, \"headers\"?, \"payload\"? (event|envelope), \"queueCapacity\"?, \"concurrency\"?, \"whenFull\"? (wait|deadLetter), \"allowInsecureHttp\"? } ] }" };
        var secretEnv = new Option<string?>("--secret-env") { Description = "With --to: sign with the whsec_ secret(s) in this environment variable (several, space-separated, for rotation)" };
        var secretFile = new Option<FileInfo?>("--secret-file") { Description = "With --to: sign with the whsec_ secret(s) in this file, one per line" };
        var deadLetters = new Option<string>("--dead-letters") { Description = $"Append undeliverable events to this NDJSON file, or publish them to a JetStream stream on --nats with {JetStreamScheme}STREAM (created if absent)", DefaultValueFactory = _ => "webhook-dead-letters.ndjson" };
        var replay = new Option<string?>("--replay-dead-letters") { Description = $"Send the dead letters in FILE (or {JetStreamScheme}STREAM, then removed from it) again, each to its route, and exit; those failing again go to --dead-letters" };
        var nats = new NatsConnectionOptions();
        var concurrency = new Option<int?>("--concurrency") { Description = "With --to: deliveries in flight at once, to different customers (default 16)" };
        var queue = new Option<int?>("--queue") { Description = "With --to: events the route may hold before the feed waits (default 1000)" };
        var timeout = new Option<TimeSpan?>("--attempt-timeout") { Description = "How long one attempt may take (default 15s)", CustomParser = r => Duration.Parse(r) };
        var schedule = new Option<string?>("--retry-schedule") { Description = "Delays before each attempt, comma-separated (default 0,5s,5m,30m,2h,5h,10h)" };
        var allowHttpEndpoint = new Option<bool>("--allow-insecure-endpoint") { Description = "With --to: allow an http:// URL that is not on this machine (events travel in cleartext)" };
        var statusEvery = new Option<TimeSpan>("--status-every") { Description = "How often to print a status line on stderr", CustomParser = Duration.Parse, DefaultValueFactory = _ => TimeSpan.FromSeconds(5) };

        var command = new Command("forward", "Deliver events to webhooks: signed (Standard Webhooks), at least once, per customer in order, retried, dead-lettered.");
        connection.AddTo(command);
        foreach (Option option in new Option[] { to, routes, secretEnv, secretFile, deadLetters, replay, concurrency, queue, timeout, schedule, allowHttpEndpoint, statusEvery })
        {
            command.Options.Add(option);
        }

        nats.AddTo(command);
        command.SetStoppableAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            if ((parse.GetValue(to) is null) == (parse.GetValue(routes) is null))
            {
                return await Usage.FailAsync(parse, "give one of --to URL or --routes FILE.", error).ConfigureAwait(false);
            }

            (IReadOnlyList<WebhookRoute>? routeList, string? problem) = parse.GetValue(routes) is { } file
                ? RoutesFile.Read(file)
                : ToRoute(parse.GetValue(to)!, parse.GetValue(secretEnv), parse.GetValue(secretFile), parse.GetValue(concurrency), parse.GetValue(queue), parse.GetValue(allowHttpEndpoint));
            if (routeList is null)
            {
                return await Usage.FailAsync(parse, problem!, error).ConfigureAwait(false);
            }

            string? deadStream = StreamOf(parse.GetValue(deadLetters)), replayStream = StreamOf(parse.GetValue(replay));
            NatsConnectionSettings? natsSettings = null;
            if (deadStream is not null || replayStream is not null)
            {
                (natsSettings, string? natsProblem) = nats.Build(parse, Environment.GetEnvironmentVariable);
                if (natsSettings is null)
                {
                    return await Usage.FailAsync(parse, natsProblem!, error).ConfigureAwait(false);
                }
            }

            // From here on everything printed goes through the redactor: signing secrets, header values, the API token,
            // NATS credentials.
            var redactor = new Redactor([.. routeList.SelectMany(r => r.Secrets), .. routeList.SelectMany(r => r.Headers.Values), parse.GetValue(connection.Token), Environment.GetEnvironmentVariable(ConnectionOptions.TokenVariable), .. natsSettings?.Secrets ?? []]);
            using var err = new RedactingWriter(error, redactor);
            var log = new StderrLogger(err, "eventstream forward");
            var options = new WebhookForwarderOptions { Routes = routeList, DeadLetterPath = parse.GetValue(deadLetters)!, Logger = log };
            if (parse.GetValue(connection.Checkpoint) is { } checkpointFile)
            {
                // Events a retrying route holds go beside the checkpoint, so the checkpoint need not wait for them.
                options.PendingPath = checkpointFile + ".pending.ndjson";
            }
            if (parse.GetValue(timeout) is { } t)
            {
                options.AttemptTimeout = t;
            }

            if (parse.GetValue(schedule) is { } s)
            {
                var delays = new List<TimeSpan>();
                foreach (string part in s.Split(',', StringSplitOptions.TrimEntries))
                {
                    TimeSpan delay = TimeSpan.Zero;
                    if (part != "0" && !Duration.TryParse(part, out delay))
                    {
                        return await Usage.FailAsync(parse, $"--retry-schedule: '{part}' is not a duration (e.g. 0,5s,5m,30m).", err).ConfigureAwait(false);
                    }

                    delays.Add(delay);
                }

                options.RetrySchedule = delays;
            }

            try
            {
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                return await Usage.FailAsync(parse, ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal), err).ConfigureAwait(false);
            }

            (NatsConnection? natsConnection, JetStreamDeadLetterStore? deadStore, JetStreamDeadLetterStore? replayStore, int natsExit) = natsSettings is null
                ? default
                : await OpenStreamsAsync(natsSettings, deadStream, replayStream, err, cancellationToken).ConfigureAwait(false);
            if (natsSettings is not null && natsConnection is null)
            {
                return natsExit;
            }

            await using NatsConnection? natsToClose = natsConnection;
            options.DeadLetters = deadStore;
            string deadTarget = deadStore is not null ? $"JetStream stream {deadStore.StreamName} at {natsSettings!.DisplayUrl}" : Path.GetFullPath(options.DeadLetterPath);
            if (replayStore is not null)
            {
                await using var replaying = new WebhookForwarder(options);
                (int count, int kept) = await replayStore.ReplayAsync(replaying, cancellationToken).ConfigureAwait(false);
                long again = replaying.Routes.Sum(r => r.DeadLettered);
                await err.WriteLineAsync($"eventstream forward: replayed {count:N0} dead letters from JetStream stream {replayStore.StreamName}: {count - again:N0} delivered, {again:N0} dead-lettered again (to {deadTarget}){(kept > 0 ? $", {kept:N0} kept in the stream: their route is not in this configuration" : "")}").ConfigureAwait(false);
                return 0;
            }

            if (parse.GetValue(replay) is { } replayFile)
            {
                return await ReplayAsync(new FileInfo(replayFile), options, deadTarget, err, cancellationToken).ConfigureAwait(false);
            }

            IntilerySimulator? simulator = null;
            try
            {
                (EventsApiOptions? api, FeedOptions? feed, simulator, int exitCode) = await connection.BuildAsync(parse, err, cancellationToken).ConfigureAwait(false);
                if (api is null || feed is null)
                {
                    return exitCode;
                }

                feed.Logger = log;
                WebhookForwarder forwarder;
                try
                {
                    forwarder = new WebhookForwarder(api, feed, options);
                }
                catch (ArgumentException ex)
                {
                    return await Usage.FailAsync(parse, ex.Message, err).ConfigureAwait(false);
                }

                await using (forwarder.ConfigureAwait(false))
                {
                    string source = simulator is not null ? "the demo simulator" : $"{api.ClientId}/{api.AccountId}/{api.BrandId}";
                    await err.WriteLineAsync($"eventstream forward: forwarding {source} to {routeList.Count} route{(routeList.Count == 1 ? "" : "s")} ({string.Join(", ", routeList)}); dead letters to {deadTarget}. Ctrl+C stops.").ConfigureAwait(false);
                    TimeSpan every = parse.GetValue(statusEvery);
                    using ITimer status = TimeProvider.System.CreateTimer(_ => err.WriteLine(StatusLine(forwarder)), null, every, every);
                    try
                    {
                        await forwarder.RunAsync(cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        await status.DisposeAsync().ConfigureAwait(false);
                    }

                    await err.WriteLineAsync($"eventstream forward: stopped; {StatusLine(forwarder)["eventstream forward: ".Length..]}").ConfigureAwait(false);
                }

                return 0;
            }
            catch (Exception ex) when (ex is EventsApiException or FeedException or InvalidDataException or EventPageFormatException)
            {
                await err.WriteLineAsync($"eventstream forward: {ex.Message.ReplaceLineEndings(" ")}").ConfigureAwait(false);
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

    internal static string StatusLine(WebhookForwarder forwarder)
    {
        IEnumerable<string> routes = forwarder.Routes.Select(r =>
            $"{r.Name}: delivered {r.Delivered:N0}, queued {r.Queued:N0}, dead-lettered {r.DeadLettered:N0}"
            + (r.Disabled ? ", DISABLED (410 Gone)" : r.Failing ? $", failing ({r.Retrying:N0} waiting for a retry; last failure {r.LastFailure ?? "none"})" : "")
            + (r.HoldsFeed ? ", full: the feed waits for it" : ""));
        return $"eventstream forward: forwarded {forwarder.Forwarded:N0}, {forwarder.Unacknowledged:N0} not yet acknowledged, {forwarder.CheckpointsWritten:N0} checkpoints saved; {string.Join("; ", routes)}";
    }

    private static string? StreamOf(string? value) => value is not null && value.StartsWith(JetStreamScheme, StringComparison.Ordinal) ? value[JetStreamScheme.Length..] : null;

    // Connects to NATS and opens the dead-letter streams named (each created if absent); on failure the exit code, said.
    private static async Task<(NatsConnection?, JetStreamDeadLetterStore?, JetStreamDeadLetterStore?, int)> OpenStreamsAsync(NatsConnectionSettings settings, string? deadStream, string? replayStream, TextWriter error, CancellationToken cancellationToken)
    {
        var connection = new NatsConnection(settings.Opts with { Name = "eventstream forward" });
        string? opening = null;
        try
        {
            await connection.ConnectAsync().ConfigureAwait(false);
            var js = new NatsJSContext(connection);
            JetStreamDeadLetterStore? dead = null, replay = null;
            foreach (string stream in new[] { deadStream, replayStream }.OfType<string>().Distinct(StringComparer.Ordinal))
            {
                opening = stream;
                JetStreamDeadLetterStore store = await JetStreamDeadLetterStore.CreateAsync(js, stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                dead = stream == deadStream ? store : dead;
                replay = stream == replayStream ? store : replay;
            }

            return (connection, dead, replay, 0);
        }
        catch (Exception ex) when (ex is NatsException or ArgumentException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            bool usage = ex is ArgumentException;
            string what = opening is null ? $"cannot reach NATS at {settings.DisplayUrl} for the dead letters" : $"cannot use JetStream stream '{opening}' at {settings.DisplayUrl} for the dead letters";
            string reason = ex is ArgumentException a ? a.Message.Replace($" (Parameter '{a.ParamName}')", "", StringComparison.Ordinal) : NatsFailure.Classify(ex).Reason;
            await error.WriteLineAsync($"eventstream forward: {what}: {reason.ReplaceLineEndings(" ")}").ConfigureAwait(false);
            return (null, null, null, usage ? 2 : 1);
        }
    }

    private static async Task<int> ReplayAsync(FileInfo file, WebhookForwarderOptions options, string deadTarget, TextWriter error, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            await error.WriteLineAsync($"eventstream forward: {file.FullName} does not exist").ConfigureAwait(false);
            return 1;
        }

        string replaying = file.FullName;
        if (options.DeadLetters is null && string.Equals(Path.GetFullPath(options.DeadLetterPath), file.FullName, StringComparison.Ordinal))
        {
            // Those failing again are appended to --dead-letters: move the file being replayed out of its way first.
            replaying = file.FullName + "." + DateTimeOffset.UtcNow.ToString("yyyyMMddTHHmmssZ", CultureInfo.InvariantCulture) + ".replayed";
            File.Move(file.FullName, replaying);
        }

        await using var forwarder = new WebhookForwarder(options);
        (int replayed, int unknown) = await forwarder.ReplayAsync(NdjsonDeadLetterStore.ReadAsync(replaying, cancellationToken), cancellationToken).ConfigureAwait(false);
        long again = forwarder.Routes.Sum(r => r.DeadLettered);
        await error.WriteLineAsync($"eventstream forward: replayed {replayed:N0} dead letters from {replaying}: {replayed - again:N0} delivered, {again:N0} dead-lettered again (to {deadTarget}){(unknown > 0 ? $", {unknown:N0} skipped: their route is not in this configuration" : "")}").ConfigureAwait(false);
        return 0;
    }

    private static (IReadOnlyList<WebhookRoute>?, string?) ToRoute(string url, string? secretEnv, FileInfo? secretFile, int? concurrency, int? queue, bool allowHttp)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? endpoint))
        {
            return (null, "--to must be an absolute URL.");
        }

        IReadOnlyList<string> secrets;
        try
        {
            secrets = secretEnv is not null ? WebhookRoute.SecretsFromEnvironment(secretEnv)
                : secretFile is not null ? WebhookRoute.SecretsFromFile(secretFile.FullName)
                : [];
        }
        catch (Exception ex) when (ex is ArgumentException or IOException)
        {
            return (null, $"{(secretEnv is not null ? "--secret-env" : "--secret-file")}: {ex.Message.Replace(" (Parameter 'name')", "", StringComparison.Ordinal)}");
        }

        var route = new WebhookRoute
        {
            Name = "to",
            Endpoint = endpoint,
            Secrets = secrets,
            Concurrency = concurrency ?? 16,
            QueueCapacity = queue ?? 1_000,
            AllowInsecureHttp = allowHttp,
        };
        try
        {
            route.Validate();
        }
        catch (ArgumentException ex)
        {
            return (null, ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal).Replace("Route 'to': Endpoint", "--to", StringComparison.Ordinal)
                .Replace("AllowInsecureHttp", "--allow-insecure-endpoint", StringComparison.Ordinal));
        }

        return ([route], null);
    }

    /// <summary>The routes file, read with errors that name the entry and field (never a secret's value).</summary>
    internal static class RoutesFile
    {
        public static (IReadOnlyList<WebhookRoute>?, string?) Read(FileInfo path)
        {
            if (!path.Exists)
            {
                return (null, $"--routes: {path.FullName} does not exist");
            }

            try
            {
                using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(path.FullName), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                JsonElement root = json.RootElement;
                JsonElement list = root.ValueKind == JsonValueKind.Array ? root
                    : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("routes", out JsonElement r) && r.ValueKind == JsonValueKind.Array ? r
                    : throw new FormatException("must be an array of routes, or an object with a \"routes\" array");
                var routes = new List<WebhookRoute>();
                int i = 0;
                foreach (JsonElement entry in list.EnumerateArray())
                {
                    string at = $"routes[{i++}]";
                    if (entry.ValueKind != JsonValueKind.Object)
                    {
                        throw new FormatException($"{at} must be an object");
                    }

                    string name = Text(entry, "name", at);
                    var route = new WebhookRoute
                    {
                        Name = name,
                        Endpoint = Uri.TryCreate(Text(entry, "url", at), UriKind.Absolute, out Uri? u) ? u : throw new FormatException($"{at}.url must be an absolute URL"),
                        Include = Names(entry, "include", at),
                        Exclude = Names(entry, "exclude", at),
                        Properties = Properties(entry, at),
                        Secrets = Secrets(entry, at, path.DirectoryName!),
                        Headers = Headers(entry, at),
                        Payload = Optional(entry, "payload") switch
                        {
                            null or "event" => WebhookPayload.Event,
                            "envelope" => WebhookPayload.Envelope,
                            var p => throw new FormatException($"{at}.payload must be event or envelope, not '{p}'"),
                        },
                        WhenFull = Optional(entry, "whenFull") switch
                        {
                            null or "wait" => WhenQueueFull.Wait,
                            "deadLetter" => WhenQueueFull.DeadLetter,
                            var w => throw new FormatException($"{at}.whenFull must be wait or deadLetter, not '{w}'"),
                        },
                        QueueCapacity = Number(entry, "queueCapacity", at) ?? 1_000,
                        Concurrency = Number(entry, "concurrency", at) ?? 16,
                        AllowInsecureHttp = entry.TryGetProperty("allowInsecureHttp", out JsonElement h) && h.ValueKind == JsonValueKind.True,
                    };
                    try
                    {
                        route.Validate();
                    }
                    catch (ArgumentException ex)
                    {
                        throw new FormatException($"{at}: {ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal)}", ex);
                    }

                    routes.Add(route);
                }

                if (routes.GroupBy(x => x.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
                {
                    throw new FormatException($"two routes are named {twice.Key}");
                }

                return routes.Count == 0 ? (null, "--routes: no routes in the file") : (routes, null);
            }
            catch (JsonException ex)
            {
                return (null, $"--routes: {path.Name} is not JSON: {ex.Message}");
            }
            catch (FormatException ex)
            {
                return (null, $"--routes: {path.Name}: {ex.Message}");
            }
        }

        private static string Text(JsonElement entry, string name, string at)
            => entry.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
                ? s
                : throw new FormatException($"{at}.{name} is required (a string)");

        private static string? Optional(JsonElement entry, string name)
            => entry.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

        private static int? Number(JsonElement entry, string name, string at)
            => !entry.TryGetProperty(name, out JsonElement v) ? null
                : v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) ? n
                : throw new FormatException($"{at}.{name} must be a whole number");

        private static string[] Names(JsonElement entry, string name, string at)
            => !entry.TryGetProperty(name, out JsonElement v) ? []
                : v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String)
                    ? [.. v.EnumerateArray().Select(x => x.GetString()!)]
                    : throw new FormatException($"{at}.{name} must be an array of event actions");

        private static WebhookPropertyFilter[] Properties(JsonElement entry, string at)
            => !entry.TryGetProperty("properties", out JsonElement v) ? []
                : v.ValueKind == JsonValueKind.Object && v.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.String)
                    ? [.. v.EnumerateObject().Select(p => WebhookPropertyFilter.Is(p.Name, p.Value.GetString()!))]
                    : throw new FormatException($"{at}.properties must be an object of string values (a property equal to each)");

        private static Dictionary<string, string> Headers(JsonElement entry, string at)
        {
            if (!entry.TryGetProperty("headers", out JsonElement v))
            {
                return [];
            }

            if (v.ValueKind != JsonValueKind.Object || !v.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.String))
            {
                throw new FormatException($"{at}.headers must be an object of strings (\"env:NAME\" reads an environment variable)");
            }

            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (JsonProperty p in v.EnumerateObject())
            {
                string value = p.Value.GetString()!;
                headers[p.Name] = value.StartsWith("env:", StringComparison.Ordinal)
                    ? Environment.GetEnvironmentVariable(value[4..]) is { Length: > 0 } env ? env : throw new FormatException($"{at}.headers.{p.Name}: the environment variable {value[4..]} is not set")
                    : value;
            }

            return headers;
        }

        // From an environment variable or a file, never inline: a routes file is often committed.
        private static IReadOnlyList<string> Secrets(JsonElement entry, string at, string directory)
        {
            if (entry.TryGetProperty("secret", out _))
            {
                throw new FormatException($"{at}.secret: give \"secretEnv\" (an environment variable) or \"secretFile\", not the secret itself");
            }

            try
            {
                return Optional(entry, "secretEnv") is { } env ? WebhookRoute.SecretsFromEnvironment(env)
                    : Optional(entry, "secretFile") is { } file ? WebhookRoute.SecretsFromFile(Path.Combine(directory, file))
                    : [];
            }
            catch (ArgumentException ex)
            {
                throw new FormatException($"{at}.secretEnv: {ex.Message.Replace(" (Parameter 'name')", "", StringComparison.Ordinal)}", ex);
            }
            catch (IOException ex)
            {
                throw new FormatException($"{at}.secretFile: {ex.Message}", ex);
            }
        }
    }
}
