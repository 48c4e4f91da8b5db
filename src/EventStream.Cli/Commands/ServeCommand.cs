using System.CommandLine;
using EventStream.Simulator;

namespace EventStream.Cli.Commands;

/// <summary><c>eventstream serve</c>: runs the simulated Events API until stopped; its first stdout line is the base URL.</summary>
internal static class ServeCommand
{
    /// <summary>How much longer than its backlog reaches <c>serve</c> keeps events by default (so the backlog asked for is served).</summary>
    internal static readonly TimeSpan ExtraRetention = TimeSpan.FromHours(1);

    /// <summary>The most events <c>serve</c> holds by default (199,269 held measured 345 MB RSS: benchmarks/RESULTS.md).</summary>
    internal const int ServeMaxEvents = 200_000;

    /// <summary>Requests the CLI's simulators log (nothing reads the log outside tests).</summary>
    internal const int LoggedRequests = 1_000;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var defaults = new SimulatorOptions();
        var port = new Option<int>("--port") { Description = "Port on 127.0.0.1 (0: any free port)", DefaultValueFactory = _ => 0 };
        var token = new Option<string>("--token") { Description = "The auth-token the server accepts", DefaultValueFactory = _ => defaults.Token };
        var client = new Option<string>("--client") { Description = "clientId in the URL", DefaultValueFactory = _ => defaults.ClientId };
        var account = new Option<string>("--account") { Description = "accountId in the URL", DefaultValueFactory = _ => defaults.AccountId };
        var brand = new Option<string>("--brand") { Description = "brandId in the URL", DefaultValueFactory = _ => defaults.BrandId };
        var backlog = new Option<int>("--backlog") { Description = "Events generated over the last hour before start", DefaultValueFactory = _ => 1000 };
        var backlogAge = new Option<TimeSpan>("--backlog-age") { Description = "How long before start the backlog ends (e.g. 1h; default 0s)", CustomParser = Duration.Parse, DefaultValueFactory = _ => TimeSpan.Zero };
        var liveRate = new Option<double>("--live-rate") { Description = "Live events per second", DefaultValueFactory = _ => 20 };
        var lateShare = new Option<double>("--late-share") { Description = "Share of events that arrive late (0..1)", DefaultValueFactory = _ => 0.05 };
        var maxLate = new Option<TimeSpan>("--max-late") { Description = "The most an event arrives late (e.g. 5s)", CustomParser = Duration.Parse, DefaultValueFactory = _ => defaults.MaxLate };
        var errorRate = new Option<double>("--error-rate") { Description = "Share of requests answered with a 5xx (0..1)", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed for data and faults", DefaultValueFactory = _ => defaults.Seed };
        var rateLimit = new Option<double>("--rate-limit") { Description = "Requests per second per token (0: off)", DefaultValueFactory = _ => defaults.RequestsPerSecond };
        var burst = new Option<int>("--burst") { Description = "Token bucket burst", DefaultValueFactory = _ => defaults.Burst };
        var inclusive = new Option<bool>("--inclusive-bounds") { Description = "Treat start/end as inclusive (the documented reading is exclusive)" };
        var gzip = new Option<bool>("--gzip") { Description = "Compress pages with gzip when the client accepts it (as a gateway does)" };
        var brands = new Option<int>("--brands") { Description = "Client/account/brand combinations to host: --brand, then --brand2, --brand3, … (backlog and live traffic spread across them)", DefaultValueFactory = _ => 1 };
        var retention = new Option<TimeSpan?>("--retention") { Description = "How long events are kept, by eventTime; older ones are dropped as the API ages them out (e.g. 2m, 1h; default: the backlog's reach plus an hour, 2h with --backlog-age 0s)", CustomParser = r => Duration.Parse(r) };
        var maxEvents = new Option<int>("--max-events") { Description = "The most events held (across brands); past it the oldest are dropped", DefaultValueFactory = _ => ServeMaxEvents };
        var sharedToken = new Option<bool>("--shared-token") { Description = "All brands accept --token (one rate-limit bucket); otherwise brand N accepts TOKEN-N" };
        var statusEvery = new Option<TimeSpan>("--status-every") { Description = "How often to print the requests served (per second, against --rate-limit) and the 429s on stderr (0s: never)", CustomParser = Duration.Parse, DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };

        var command = new Command("serve", "Run the simulated Intilery Events API on 127.0.0.1. The first line printed is the base URL for --base-url.")
        {
            port, token, client, account, brand, backlog, backlogAge, liveRate, lateShare, maxLate, errorRate, seed, rateLimit, burst, inclusive, gzip, brands, sharedToken, retention, maxEvents, statusEvery,
        };
        command.SetStoppableAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            var options = new SimulatorOptions
            {
                Port = parse.GetValue(port),
                Token = parse.GetValue(token)!,
                ClientId = parse.GetValue(client)!,
                AccountId = parse.GetValue(account)!,
                BrandId = parse.GetValue(brand)!,
                Backlog = parse.GetValue(backlog),
                BacklogAge = parse.GetValue(backlogAge),
                LiveRate = parse.GetValue(liveRate),
                LateShare = parse.GetValue(lateShare),
                MaxLate = parse.GetValue(maxLate),
                ErrorRate = parse.GetValue(errorRate),
                Seed = parse.GetValue(seed),
                RequestsPerSecond = parse.GetValue(rateLimit),
                Burst = parse.GetValue(burst),
                InclusiveBounds = parse.GetValue(inclusive),
                Compression = parse.GetValue(gzip),
                Brands = parse.GetValue(brands),
                SharedToken = parse.GetValue(sharedToken),
                Retention = parse.GetValue(retention) ?? (parse.GetValue(backlogAge) + defaults.BacklogSpan + ExtraRetention),
                MaxEvents = parse.GetValue(maxEvents),
                MaxLoggedRequests = LoggedRequests,
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                string flag = ex.ParamName switch
                {
                    nameof(SimulatorOptions.ClientId) => "--client",
                    nameof(SimulatorOptions.AccountId) => "--account",
                    nameof(SimulatorOptions.BrandId) => "--brand",
                    nameof(SimulatorOptions.RequestsPerSecond) => "--rate-limit",
                    nameof(SimulatorOptions.InclusiveBounds) => "--inclusive-bounds",
                    _ => "--" + System.Text.RegularExpressions.Regex.Replace(ex.ParamName ?? "", "(?<!^)([A-Z])", "-$1").ToLowerInvariant(),
                };
                string rule = ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
                return await Usage.FailAsync(parse, $"{flag}: {rule}", error).ConfigureAwait(false);
            }

            await using IntilerySimulator simulator = await IntilerySimulator.StartAsync(options, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(simulator.BaseUrl.ToString()).ConfigureAwait(false);
            await output.FlushAsync(CancellationToken.None).ConfigureAwait(false); // the ready line goes out whatever happens next
            string brandsServed = options.Brands == 1 ? $"{options.ClientId}/{options.AccountId}/{options.BrandId}"
                : $"{options.Brands} brands ({simulator.Brands[0]} … {simulator.Brands[^1]}; tokens {(options.SharedToken ? "shared" : "TOKEN-N for brand N")})";
            await error.WriteLineAsync(
                $"Serving {simulator.EventCount} events for {brandsServed} at {simulator.BaseUrl} "
                + $"(live {options.LiveRate}/s, kept {Describe(options.Retention!.Value)} or {options.MaxEvents:N0} events, {Limit(options)}). Ctrl+C stops.").ConfigureAwait(false);
            var status = new ServeStatus(simulator, options);
            TimeSpan every = parse.GetValue(statusEvery);
            using var timer = new Timer(_ => error.WriteLine(status.Next()), null, every > TimeSpan.Zero ? every : Timeout.InfiniteTimeSpan, every > TimeSpan.Zero ? every : Timeout.InfiniteTimeSpan);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            await timer.DisposeAsync().ConfigureAwait(false); // no status line after the last one

            await error.WriteLineAsync($"Served {simulator.RequestCount} requests, {simulator.RateLimitedCount} answered 429; {simulator.DroppedEventCount} events aged out, {simulator.EventCount} held.").ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    /// <summary>
    /// What <c>serve</c> says every <c>--status-every</c>: the requests served since the last line, per second against the
    /// token budget, and the 429s, then the totals (which the lines' counts add up to).
    /// </summary>
    internal sealed class ServeStatus(IntilerySimulator simulator, SimulatorOptions options)
    {
        private readonly System.Diagnostics.Stopwatch _since = System.Diagnostics.Stopwatch.StartNew();
        private long _requests;
        private long _limited;

        public string Next()
        {
            long requests = simulator.RequestCount, limited = simulator.RateLimitedCount;
            double seconds = Math.Max(_since.Elapsed.TotalSeconds, 0.001);
            _since.Restart();
            long newRequests = requests - _requests, newLimited = limited - _limited;
            (_requests, _limited) = (requests, limited);
            return $"eventstream serve: {newRequests:N0} requests in {seconds:0.#} s ({newRequests / seconds:0.##}/s; {Limit(options)}), {newLimited:N0} answered 429; "
                + $"{requests:N0} requests, {limited:N0} answered 429 since start; {simulator.EventCount:N0} events held";
        }
    }

    // The token budget, as both the start line and the status lines give it.
    private static string Limit(SimulatorOptions options)
        => options.RequestsPerSecond > 0 ? $"limit {options.RequestsPerSecond}/s burst {options.Burst} a token" : "limit off";

    // 1h, 2m, 90s: how --retention reads back.
    private static string Describe(TimeSpan span)
        => span.TotalHours is var h && h >= 1 && h == Math.Floor(h) ? $"{h:0}h"
            : span.TotalMinutes is var m && m >= 1 && m == Math.Floor(m) ? $"{m:0}m"
            : $"{span.TotalSeconds:0.###}s";
}
