using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EventStream.Feed;
using EventStream.Nats;
using NATS.Client.Core;

namespace EventStream.Cli.Commands;

/// <summary>
/// <c>eventstream relay --nats URL --feeds FILE</c>: publishes the file's feeds into NATS JetStream, sharing them with any
/// other relay given the same file and server (see <see cref="NatsRelay"/>). Status on stderr; SIGINT/SIGTERM stop it
/// cleanly (checkpoints saved, leases released).
/// </summary>
internal static class RelayCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var nats = new Option<string>("--nats") { Description = "The NATS server", DefaultValueFactory = _ => "nats://127.0.0.1:4222" };
        var feeds = new Option<FileInfo>("--feeds") { Description = "JSON: { \"baseUrl\"?, \"feeds\": [ { \"client\", \"account\", \"brand\", \"token\" or \"tokenEnv\", \"include\"?, \"exclude\"?, \"start\"? (now|beginning|ISO time) } ] }", Required = true };
        var instance = new Option<string?>("--instance") { Description = "This relay's name (default: host, pid and a random suffix)" };
        var lease = new Option<TimeSpan>("--lease") { Description = "How long a feed's lease lasts unrenewed: a dead relay's feeds move after this (e.g. 10s)", CustomParser = Duration.Parse, DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };
        var stream = new Option<string>("--stream") { Description = "The JetStream stream", DefaultValueFactory = _ => "INTILERY" };
        var prefix = new Option<string>("--subject-prefix") { Description = "Subjects are PREFIX.client.account.brand.eventAction", DefaultValueFactory = _ => "intilery" };
        var buckets = new Option<string>("--bucket-prefix") { Description = "KV buckets PREFIX-checkpoints, PREFIX-leases, PREFIX-members", DefaultValueFactory = _ => "eventstream" };
        var maxLateness = new Option<TimeSpan?>("--max-lateness") { Description = "How late an event may arrive and still be published (default 30s)", CustomParser = r => Duration.Parse(r) };
        var allowHttp = new Option<bool>("--allow-insecure-http") { Description = "Allow an http:// API that is not on this machine (the token would travel in clear text)" };
        var statusEvery = new Option<TimeSpan>("--status-every") { Description = "How often to print a status line on stderr", CustomParser = Duration.Parse, DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };

        var command = new Command("relay", "Publish feeds into NATS JetStream exactly once, shared among relays with failover.")
        {
            nats, feeds, instance, lease, stream, prefix, buckets, maxLateness, allowHttp, statusEvery,
        };
        command.SetStoppableAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            (FeedsFile? file, string? problem) = FeedsFile.Read(parse.GetValue(feeds)!);
            if (file is null)
            {
                return await Usage.FailAsync(parse, $"--feeds: {problem}", error).ConfigureAwait(false);
            }

            var log = new StderrLogger(error, "eventstream relay");
            var options = new NatsRelayOptions
            {
                StreamName = parse.GetValue(stream)!,
                SubjectPrefix = parse.GetValue(prefix)!,
                BucketPrefix = parse.GetValue(buckets)!,
                LeaseTime = parse.GetValue(lease),
                BaseUrl = file.BaseUrl ?? EventStream.Api.EventsApiOptions.DefaultBaseUrl,
                Logger = log,
                ConfigureApi = o => o.AllowInsecureHttp = parse.GetValue(allowHttp) || file.AllowInsecureHttp,
                ConfigureFeed = o => o.MaxLateness = parse.GetValue(maxLateness) ?? o.MaxLateness,
            };
            if (parse.GetValue(instance) is { } id)
            {
                options.InstanceId = id;
            }

            try
            {
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                return await Usage.FailAsync(parse, ex.Message, error).ConfigureAwait(false);
            }

            // A daemon outlives a NATS outage at start too: keep trying, and say so each time.
            string url = parse.GetValue(nats)!;
            NatsConnection? connection = null;
            for (int attempt = 1; connection is null; attempt++)
            {
                var candidate = new NatsConnection(new NatsOpts { Url = url, Name = $"eventstream-relay {options.InstanceId}" });
                try
                {
                    await candidate.ConnectAsync().ConfigureAwait(false);
                    connection = candidate;
                }
                catch (NatsException ex)
                {
                    await candidate.DisposeAsync().ConfigureAwait(false);
                    TimeSpan delay = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, Math.Min(attempt, 5)) / 2));
                    await error.WriteLineAsync($"eventstream relay: cannot reach NATS at {url} ({ex.Message}); attempt {attempt}, retrying in {delay.TotalSeconds:F0} s").ConfigureAwait(false);
                    try
                    {
                        await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return 0;
                    }
                }
            }

            await using NatsConnection connected = connection;
            var relay = new NatsRelay(connected, file.Feeds, options);
            // The ready line: connected, and from here SIGINT/SIGTERM stop it cleanly (exit 0, checkpoints saved, leases released).
            await error.WriteLineAsync($"eventstream relay: {relay.InstanceId} connected to NATS; relaying {file.Feeds.Count} feeds. Ctrl+C stops.").ConfigureAwait(false);
            using var status = new Timer(
                _ => error.WriteLine($"eventstream relay: {relay.InstanceId} owns {relay.OwnedFeeds.Count} of {file.Feeds.Count} feeds, {relay.Members} relays; published {relay.Published:N0} ({relay.Duplicates:N0} duplicates dropped by the server)"),
                null, parse.GetValue(statusEvery), parse.GetValue(statusEvery));
            await relay.RunAsync(cancellationToken).ConfigureAwait(false);
            await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>The feeds file, read with errors that name the entry and field.</summary>
    internal sealed record FeedsFile(Uri? BaseUrl, bool AllowInsecureHttp, IReadOnlyList<RelayFeed> Feeds)
    {
        public static (FeedsFile? File, string? Problem) Read(FileInfo path)
        {
            if (!path.Exists)
            {
                return (null, $"{path.FullName} does not exist");
            }

            try
            {
                using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(path.FullName), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                JsonElement root = json.RootElement;
                JsonElement list = root.ValueKind == JsonValueKind.Array ? root
                    : root.ValueKind == JsonValueKind.Object && root.TryGetProperty("feeds", out JsonElement f) && f.ValueKind == JsonValueKind.Array ? f
                    : throw new FormatException("must be an array of feeds, or an object with a \"feeds\" array");
                Uri? baseUrl = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("baseUrl", out JsonElement b) ? Url(b, "baseUrl") : null;
                bool insecure = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("allowInsecureHttp", out JsonElement h) && h.ValueKind == JsonValueKind.True;
                var feeds = new List<RelayFeed>();
                int i = 0;
                foreach (JsonElement entry in list.EnumerateArray())
                {
                    string at = $"feeds[{i++}]";
                    if (entry.ValueKind != JsonValueKind.Object)
                    {
                        throw new FormatException($"{at} must be an object");
                    }

                    feeds.Add(new RelayFeed
                    {
                        ClientId = Text(entry, "client", at),
                        AccountId = Text(entry, "account", at),
                        BrandId = Text(entry, "brand", at),
                        AuthToken = Token(entry, at),
                        BaseUrl = entry.TryGetProperty("baseUrl", out JsonElement u) ? Url(u, $"{at}.baseUrl") : null,
                        Include = Names(entry, "include", at),
                        Exclude = Names(entry, "exclude", at),
                        Start = Start(entry, at),
                    });
                }

                if (feeds.GroupBy(x => x.Key).FirstOrDefault(g => g.Count() > 1) is { } twice)
                {
                    throw new FormatException($"two feeds are for {twice.First()}");
                }

                return feeds.Count == 0 ? (null, "no feeds in the file") : (new FeedsFile(baseUrl, insecure, feeds), null);
            }
            catch (JsonException ex)
            {
                return (null, $"{path.Name} is not JSON: {ex.Message}");
            }
            catch (FormatException ex)
            {
                return (null, $"{path.Name}: {ex.Message}");
            }
        }

        private static string Text(JsonElement entry, string name, string at)
            => entry.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s
                ? s
                : throw new FormatException($"{at}.{name} is required (a string)");

        // The token itself, or the name of an environment variable that holds it (never printed either way).
        private static string Token(JsonElement entry, string at)
        {
            if (entry.TryGetProperty("token", out JsonElement t) && t.ValueKind == JsonValueKind.String && t.GetString() is { Length: > 0 } token)
            {
                return token;
            }

            if (entry.TryGetProperty("tokenEnv", out JsonElement e) && e.ValueKind == JsonValueKind.String && e.GetString() is { Length: > 0 } name)
            {
                return Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : throw new FormatException($"{at}.tokenEnv: the environment variable {name} is not set");
            }

            throw new FormatException($"{at} needs \"token\" or \"tokenEnv\"");
        }

        private static string[] Names(JsonElement entry, string name, string at)
            => !entry.TryGetProperty(name, out JsonElement v) ? []
                : v.ValueKind == JsonValueKind.Array && v.EnumerateArray().All(x => x.ValueKind == JsonValueKind.String)
                    ? [.. v.EnumerateArray().Select(x => x.GetString()!)]
                    : throw new FormatException($"{at}.{name} must be an array of event actions");

        private static FeedStart Start(JsonElement entry, string at)
        {
            if (!entry.TryGetProperty("start", out JsonElement v))
            {
                return FeedStart.Now;
            }

            string s = v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            return s == "now" ? FeedStart.Now
                : s == "beginning" ? FeedStart.Beginning
                : DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out DateTimeOffset t) && s.Length >= 10 ? FeedStart.At(t)
                : throw new FormatException($"{at}.start must be now, beginning or an ISO 8601 time, not '{s}'");
        }

        private static Uri Url(JsonElement v, string at)
            => v.ValueKind == JsonValueKind.String && Uri.TryCreate(v.GetString(), UriKind.Absolute, out Uri? u) ? u : throw new FormatException($"{at} must be an absolute URL");
    }
}
