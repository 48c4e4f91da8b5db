using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EventStream.Feed;
using EventStream.Internal;
using EventStream.Nats;
using NATS.Client.Core;

namespace EventStream.Cli.Commands;

/// <summary>
/// <c>eventstream relay --nats URL --feeds FILE</c>: publishes the file's feeds into NATS JetStream, sharing them with any
/// other relay given the same file and server (see <see cref="NatsRelay"/>). Status on stderr; SIGINT/SIGTERM stop it
/// cleanly (checkpoints saved, leases released). NATS credentials and TLS: <see cref="NatsConnectionOptions"/>. Exit 1
/// (<see cref="Refused"/>) when NATS refuses the credentials or a permission, or TLS fails — at start, or on a running
/// relay once NATS.Net gives up reconnecting; an outage is retried. Nothing it prints holds a secret (<see cref="Redactor"/>).
/// </summary>
internal static class RelayCommand
{
    /// <summary>Exit code when the relay cannot run as configured: NATS refused its credentials or a permission, or TLS failed.</summary>
    public const int Refused = 1;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var nats = new NatsConnectionOptions();
        var feeds = new Option<FileInfo>("--feeds") { Description = "JSON: { \"baseUrl\"?, \"feeds\": [ { \"client\", \"account\", \"brand\", \"token\" or \"tokenEnv\", \"include\"?, \"exclude\"?, \"start\"? (now|beginning|ISO time) } ] }", Required = true };
        var instance = new Option<string?>("--instance") { Description = "This relay's name (default: host, pid and a random suffix)" };
        var lease = new Option<TimeSpan>("--lease") { Description = "How long a feed's lease lasts unrenewed: a dead relay's feeds move after this (e.g. 10s)", CustomParser = Duration.Parse, DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };
        var stream = new Option<string>("--stream") { Description = "The JetStream stream", DefaultValueFactory = _ => "INTILERY" };
        var prefix = new Option<string>("--subject-prefix") { Description = "Subjects are PREFIX.client.account.brand.eventAction", DefaultValueFactory = _ => "intilery" };
        var buckets = new Option<string>("--bucket-prefix") { Description = "KV buckets PREFIX-checkpoints, PREFIX-leases, PREFIX-members", DefaultValueFactory = _ => "eventstream" };
        var maxLateness = new Option<TimeSpan?>("--max-lateness") { Description = "How late an event may arrive and still be published (default 30s)", CustomParser = r => Duration.Parse(r) };
        var allowHttp = new Option<bool>("--allow-insecure-http") { Description = "Allow an http:// API that is not on this machine (the token would travel in clear text)" };
        var statusEvery = new Option<TimeSpan>("--status-every") { Description = "How often to print a status line on stderr", CustomParser = Duration.Parse, DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };

        var command = new Command("relay", "Publish feeds into NATS JetStream exactly once, shared among relays with failover.");
        nats.AddTo(command);
        foreach (Option option in new Option[] { feeds, instance, lease, stream, prefix, buckets, maxLateness, allowHttp, statusEvery })
        {
            command.Options.Add(option);
        }

        command.SetStoppableAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            (NatsConnectionSettings? settings, string? natsProblem) = nats.Build(parse, Environment.GetEnvironmentVariable);
            if (settings is null)
            {
                return await Usage.FailAsync(parse, natsProblem!, error).ConfigureAwait(false);
            }

            // From here on everything printed goes through the redactor: NATS secrets and the feeds' API tokens.
            (FeedsFile? file, string? problem) = FeedsFile.Read(parse.GetValue(feeds)!);
            var redactor = new Redactor([.. settings.Secrets, .. file?.Feeds.Select(f => f.AuthToken) ?? []]);
            using var err = new RedactingWriter(error, redactor);
            using var @out = new RedactingWriter(output, redactor);
            if (file is null)
            {
                return await Usage.FailAsync(parse, $"--feeds: {problem}", err).ConfigureAwait(false);
            }

            var log = new StderrLogger(err, "eventstream relay");
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
                return await Usage.FailAsync(parse, ex.Message, err).ConfigureAwait(false);
            }

            NatsOpts natsOpts = settings.Opts with { Name = $"eventstream-relay {options.InstanceId}" };
            var watch = new ServerErrors(err, settings);

            // A daemon outlives a NATS outage at start too: keep trying, and say so each time. A refusal (credentials,
            // permissions, TLS) is not an outage: say why and exit 1.
            NatsConnection? connection = null;
            for (int attempt = 1; connection is null; attempt++)
            {
                var candidate = new NatsConnection(natsOpts);
                candidate.ServerError += watch.OnServerError;
                try
                {
                    await candidate.ConnectAsync().ConfigureAwait(false);
                    connection = candidate;
                }
                catch (NatsException ex)
                {
                    await candidate.DisposeAsync().ConfigureAwait(false);
                    (NatsFailureKind kind, string reason) = NatsFailure.Classify(ex, watch.Last);
                    if (kind != NatsFailureKind.Unreachable)
                    {
                        await err.WriteLineAsync($"eventstream relay: {Describe(kind, reason, settings, options)}; not retrying").ConfigureAwait(false);
                        return Refused;
                    }

                    TimeSpan delay = Backoff.Delay(attempt, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(16));
                    await err.WriteLineAsync($"eventstream relay: cannot reach NATS at {settings.DisplayUrl} ({reason}); attempt {attempt}, retrying in {delay.TotalSeconds:F0} s").ConfigureAwait(false);
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
            watch.Running = true;
            // Outages said: the disconnect, then the reconnect and how long it was down (NATS.Net reconnects by itself; the
            // relay's own lines say what the outage did to the leases and publishes).
            long downSince = 0;
            connected.ConnectionDisconnected += (_, args) =>
            {
                Interlocked.CompareExchange(ref downSince, System.Diagnostics.Stopwatch.GetTimestamp(), 0);
                err.WriteLine($"eventstream relay: disconnected from NATS at {settings.DisplayUrl} ({args.Message}); reconnecting");
                return ValueTask.CompletedTask;
            };
            connected.ConnectionOpened += (_, _) =>
            {
                long since = Interlocked.Exchange(ref downSince, 0);
                if (since != 0)
                {
                    err.WriteLine($"eventstream relay: reconnected to NATS at {settings.DisplayUrl} after {System.Diagnostics.Stopwatch.GetElapsedTime(since).TotalSeconds:F1} s");
                }

                return ValueTask.CompletedTask;
            };
            var relay = new NatsRelay(connected, file.Feeds, options);
            // The ready line (SIGINT/SIGTERM stop it cleanly from the start: exit 0, checkpoints saved, leases released).
            await err.WriteLineAsync($"eventstream relay: {relay.InstanceId} connected to NATS at {settings.DisplayUrl} ({settings.Authentication}{(settings.Tls ? ", TLS" : "")}); relaying {file.Feeds.Count} feeds. Ctrl+C stops.").ConfigureAwait(false);
            using var status = new Timer(
                _ => err.WriteLine($"eventstream relay: {relay.InstanceId} owns {relay.OwnedFeeds.Count} of {file.Feeds.Count} feeds, {relay.Members} relays; published {relay.Published:N0} ({relay.Duplicates:N0} duplicates dropped by the server)"),
                null, parse.GetValue(statusEvery), parse.GetValue(statusEvery));
            try
            {
                await relay.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                // SIGINT/SIGTERM while it was still setting up the stream and buckets (later, RunAsync returns): a clean stop.
            }
            catch (NatsException ex)
            {
                // Setting up the stream failed, or the connection failed for good: NATS.Net stops reconnecting once the
                // server refuses the credentials twice in a row (rotated or revoked while running). Nothing here can
                // recover: say why and exit 1; the feeds go to the other relays after the lease time.
                (NatsFailureKind kind, string reason) = NatsFailure.Classify(ex, watch.Last);
                await err.WriteLineAsync($"eventstream relay: stopped: {Describe(kind, reason, settings, options)}; any feeds it held move to the other relays after the lease time").ConfigureAwait(false);
                return Refused;
            }
            catch (Exception ex)
            {
                // Not left to System.CommandLine, which would print it past the redactor.
                await err.WriteLineAsync($"eventstream relay: stopped: {ex}").ConfigureAwait(false);
                return Refused;
            }

            await @out.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static string Describe(NatsFailureKind kind, string reason, NatsConnectionSettings settings, NatsRelayOptions options) => kind switch
    {
        NatsFailureKind.Authentication when settings.Authentication == "no credentials"
            => $"NATS at {settings.DisplayUrl} requires credentials ({reason}): give --nats-creds, --nats-nkey, --nats-user with {NatsConnectionOptions.PasswordVariable}, or {NatsConnectionOptions.TokenVariable}",
        NatsFailureKind.Authentication => $"NATS at {settings.DisplayUrl} refused the credentials ({settings.Authentication}): {reason}",
        NatsFailureKind.Authorization => $"NATS at {settings.DisplayUrl} denied a permission ({settings.Authentication}): {reason}; the relay publishes on {options.SubjectPrefix}.>, $JS.API.> and $KV.{options.BucketPrefix}-*.> and subscribes to _INBOX.>",
        NatsFailureKind.Tls => $"TLS with NATS at {settings.DisplayUrl} failed: {reason.TrimEnd('.')} (--nats-ca must name the CA that signed the server's certificate; a server that verifies clients needs --nats-cert and --nats-key)",
        NatsFailureKind.Configuration => $"cannot use the NATS credentials: {reason}",
        _ => $"NATS at {settings.DisplayUrl} failed: {reason}",
    };

    /// <summary>
    /// The server's <c>-ERR</c>s on the connection: the last one (what a failure is classified by), and each distinct
    /// permissions violation said once on stderr — the relay keeps retrying, so a permission granted later takes effect.
    /// </summary>
    private sealed class ServerErrors(TextWriter error, NatsConnectionSettings settings)
    {
        private readonly HashSet<string> _said = new(StringComparer.Ordinal);
        private volatile string? _last;

        public string? Last => _last;

        /// <summary>Connected once: from now on a refusal of the credentials is news (at start the connect loop says it).</summary>
        public bool Running { get; set; }

        public ValueTask OnServerError(object? sender, NatsServerErrorEventArgs args)
        {
            _last = args.Error;
            string? news = args.Kind == NatsServerErrorKind.PermissionsViolation
                ? $"NATS at {settings.DisplayUrl} denied a permission ({settings.Authentication}): {args.Error}"
                : Running && NatsFailure.IsAuthentication(args.Kind)
                    ? $"NATS at {settings.DisplayUrl} refused the credentials ({settings.Authentication}): {args.Error.ToLowerInvariant()}"
                    : null;
            lock (_said)
            {
                if (news is not null && _said.Add(news))
                {
                    error.WriteLine($"eventstream relay: {news}");
                }
            }

            return ValueTask.CompletedTask;
        }
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
