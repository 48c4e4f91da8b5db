using System.CommandLine;
using System.Globalization;
using EventStream.Api;
using EventStream.Checkpoints;
using EventStream.Feed;
using EventStream.Simulator;

namespace EventStream.Cli.Commands;

/// <summary>
/// The options that say which feed to read and from where (<c>tail</c> and <c>dashboard</c> share them), and how they
/// become the library's options — or a usage error (exit 2) naming the flag.
/// </summary>
internal sealed class ConnectionOptions
{
    public const string TokenVariable = "EVENTSTREAM_TOKEN";

    public Option<string> BaseUrl { get; } = new("--base-url") { Description = "The API's URL up to {clientId}", DefaultValueFactory = _ => EventsApiOptions.DefaultBaseUrl.ToString() };

    public Option<string?> Client { get; } = new("--client") { Description = "Intilery clientId" };

    public Option<string?> Account { get; } = new("--account") { Description = "Intilery accountId" };

    public Option<string?> Brand { get; } = new("--brand") { Description = "Intilery brandId" };

    public Option<string?> Token { get; } = new("--token") { Description = $"The auth-token (or set {TokenVariable})" };

    public Option<string?> Include { get; } = new("--include") { Description = "Only these actions, comma-separated (filtered by the server)" };

    public Option<string?> Exclude { get; } = new("--exclude") { Description = "Not these actions, comma-separated (filtered by the server)" };

    public Option<DateTimeOffset?> Since { get; } = new("--since") { Description = "Start at this ISO 8601 time", CustomParser = ParseTime };

    public Option<bool> FromBeginning { get; } = new("--from-beginning") { Description = "Start with the oldest event" };

    public Option<int?> Last { get; } = new("--last") { Description = "Start with the newest N events (1..10000)" };

    public Option<DateTimeOffset?> Until { get; } = new("--until") { Description = "Stop after every event before this ISO 8601 time", CustomParser = ParseTime };

    public Option<TimeSpan?> MaxLateness { get; } = new("--max-lateness") { Description = "How late an event may arrive and still be delivered (e.g. 30s, 2m)", CustomParser = r => Duration.Parse(r) };

    public Option<string?> Checkpoint { get; } = new("--checkpoint") { Description = "Save the position in FILE and resume from it" };

    public Option<bool> Demo { get; } = new("--demo") { Description = "Read the embedded simulator (live synthetic traffic); no account needed" };

    public Option<bool> AllowInsecureHttp { get; } = new("--allow-insecure-http") { Description = "Allow a plain http:// --base-url to a host that is not loopback (sends the token in cleartext)" };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { BaseUrl, Client, Account, Brand, Token, Include, Exclude, Since, FromBeginning, Last, Until, MaxLateness, Checkpoint, Demo, AllowInsecureHttp })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>What to read, with its simulator for <c>--demo</c> (the caller disposes it); or the exit code of a usage error.</summary>
    public async Task<(EventsApiOptions? Api, FeedOptions? Feed, IntilerySimulator? Simulator, int ExitCode)> BuildAsync(ParseResult parse, TextWriter error, CancellationToken cancellationToken)
    {
        int starts = (parse.GetValue(Since) is null ? 0 : 1) + (parse.GetValue(FromBeginning) ? 1 : 0) + (parse.GetValue(Last) is null ? 0 : 1);
        if (starts > 1)
        {
            return (null, null, null, await Usage.FailAsync(parse, "give only one of --since, --from-beginning, --last.", error).ConfigureAwait(false));
        }

        if (parse.GetValue(Last) is < 1 or > 10_000)
        {
            return (null, null, null, await Usage.FailAsync(parse, "--last must be between 1 and 10000.", error).ConfigureAwait(false));
        }

        bool isDemo = parse.GetValue(Demo);
        IntilerySimulator? simulator = null;
        var api = new EventsApiOptions();
        if (isDemo)
        {
            simulator = await IntilerySimulator.StartAsync(DemoOptions(), cancellationToken).ConfigureAwait(false);
            (api.BaseUrl, api.ClientId, api.AccountId, api.BrandId, api.AuthToken) =
                (simulator.BaseUrl, simulator.Options.ClientId, simulator.Options.AccountId, simulator.Options.BrandId, simulator.Options.Token);
        }
        else
        {
            string? missing = parse.GetValue(Client) is null ? "--client" : parse.GetValue(Account) is null ? "--account" : parse.GetValue(Brand) is null ? "--brand" : null;
            if (missing is not null)
            {
                return (null, null, null, await Usage.FailAsync(parse, $"{missing} is required (or use --demo).", error).ConfigureAwait(false));
            }

            string? secret = parse.GetValue(Token) ?? Environment.GetEnvironmentVariable(TokenVariable);
            if (string.IsNullOrWhiteSpace(secret))
            {
                return (null, null, null, await Usage.FailAsync(parse, $"--token is required (or set {TokenVariable}).", error).ConfigureAwait(false));
            }

            if (!Uri.TryCreate(parse.GetValue(BaseUrl), UriKind.Absolute, out Uri? url))
            {
                return (null, null, null, await Usage.FailAsync(parse, "--base-url must be an absolute URL.", error).ConfigureAwait(false));
            }

            (api.BaseUrl, api.ClientId, api.AccountId, api.BrandId, api.AuthToken) = (url, parse.GetValue(Client)!, parse.GetValue(Account)!, parse.GetValue(Brand)!, secret);
            api.AllowInsecureHttp = parse.GetValue(AllowInsecureHttp);
            try
            {
                api.Validate();
            }
            catch (ArgumentException ex) when (ex.ParamName == nameof(EventsApiOptions.BaseUrl))
            {
                string rule = ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal).Replace("BaseUrl", "--base-url", StringComparison.Ordinal)
                    .Replace("AllowInsecureHttp", "--allow-insecure-http", StringComparison.Ordinal);
                return (null, null, null, await Usage.FailAsync(parse, rule, error).ConfigureAwait(false));
            }
        }

        var feed = new FeedOptions
        {
            Include = Split(parse.GetValue(Include)),
            Exclude = Split(parse.GetValue(Exclude)),
            Until = parse.GetValue(Until),
            Start = parse.GetValue(Since) is { } t ? FeedStart.At(t)
                : parse.GetValue(FromBeginning) ? FeedStart.Beginning
                : parse.GetValue(Last) is { } n ? FeedStart.Latest(n)
                : isDemo ? FeedStart.Latest(20)
                : FeedStart.Now,
            CheckpointStore = parse.GetValue(Checkpoint) is { } file ? new FileCheckpointStore(file) : null,
            MaxLateness = parse.GetValue(MaxLateness) ?? (isDemo ? TimeSpan.FromSeconds(5) : new FeedOptions().MaxLateness),
        };
        try
        {
            feed.Validate();
        }
        catch (ArgumentException ex)
        {
            if (simulator is not null)
            {
                await simulator.DisposeAsync().ConfigureAwait(false);
            }

            return (null, null, null, await Usage.FailAsync(parse, ex.Message, error).ConfigureAwait(false));
        }

        return (api, feed, simulator, 0);
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
        Retention = TimeSpan.FromHours(1), // at 8/s about 29,000 events: a demo left open overnight stays flat
        MaxEvents = 100_000,
        MaxLoggedRequests = ServeCommand.LoggedRequests,
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
