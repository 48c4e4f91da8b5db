using System.Globalization;
using EventStream.Feed;
using EventStream.Parsing;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace EventStream.Cli;

/// <summary>The live table of <c>tail --format table</c>: newest events, and while catching up a progress bar with an ETA.</summary>
internal static class TableView
{
    private const int Rows = 20;

    public static async Task<int> RunAsync(EventFeed feed, bool demo, CancellationToken cancellationToken)
    {
        var recent = new Queue<IntileryEvent>();
        FeedStatus status = feed.CurrentStatus;
        using IDisposable statusSubscription = feed.Status.Subscribe(s => status = s);
        var rate = new RateMeter();
        await AnsiConsole.Live(Render(recent, status, rate, demo)).AutoClear(false).StartAsync(async context =>
        {
            using var refresh = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            Task<bool> tick = refresh.WaitForNextTickAsync(cancellationToken).AsTask();
            IAsyncEnumerator<IntileryEvent> events = feed.ReadAllAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            Task<bool> next = events.MoveNextAsync().AsTask();
            try
            {
                while (true)
                {
                    Task done = await Task.WhenAny(next, tick).ConfigureAwait(false);
                    if (done == next)
                    {
                        if (!await next.ConfigureAwait(false))
                        {
                            break;
                        }

                        recent.Enqueue(events.Current);
                        rate.Add();
                        while (recent.Count > Rows)
                        {
                            recent.Dequeue();
                        }

                        next = events.MoveNextAsync().AsTask();
                    }
                    else
                    {
                        await tick.ConfigureAwait(false);
                        tick = refresh.WaitForNextTickAsync(cancellationToken).AsTask();
                        context.UpdateTarget(Render(recent, status, rate, demo));
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
            }
            finally
            {
                // An async iterator cannot be disposed while a MoveNextAsync is pending (NotSupportedException): when the
                // refresh tick saw the cancellation first, let the read in flight end too (the same token ends it).
                await Task.WhenAny(next).ConfigureAwait(false);
                await events.DisposeAsync().ConfigureAwait(false);
            }

            context.UpdateTarget(Render(recent, status, rate, demo));
        }).ConfigureAwait(false);
        return 0;
    }

    private static Rows Render(Queue<IntileryEvent> recent, FeedStatus status, RateMeter rate, bool demo)
    {
        var table = new Table().Border(TableBorder.Rounded).Expand();
        table.AddColumn("event time (UTC)");
        table.AddColumn("action");
        table.AddColumn("customer");
        table.AddColumn("details");
        foreach (IntileryEvent e in recent.Reverse())
        {
            string time = e.EventTime.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
            table.AddRow(
                new Markup(e.IsLate ? $"[yellow]{time} late[/]" : time),
                new Markup($"[bold]{Markup.Escape(e.EventAction)}[/]"),
                new Text(e.Email ?? e.CustomerId ?? ""),
                new Text(Summary(e)));
        }

        FeedCounters c = status.Counters;
        string state = status.State switch
        {
            FeedState.Live => "[green]live[/]",
            FeedState.CatchingUp => "[blue]catching up[/]",
            FeedState.Retrying => $"[yellow]retrying[/]{(status.NextAttempt is { } next ? $" at {next.ToLocalTime():HH:mm:ss}" : "")}: {Markup.Escape(status.Error?.Message ?? "")}",
            FeedState.Faulted => $"[red]faulted[/] {Markup.Escape(status.Error?.Message ?? "")}",
            _ => Markup.Escape(status.State.ToString().ToLowerInvariant()),
        };
        var lines = new List<IRenderable>
        {
            new Markup($"{(demo ? "[grey]demo (embedded simulator)[/]  " : "")}{state}  {c.Events:N0} events, {c.LateEvents:N0} late, {c.DuplicatesDropped:N0} duplicates dropped, {c.Requests:N0} requests ({c.RequestsPerSecond:N1}/s), {c.RateLimited} × 429{(c.UnreadableEvents > 0 ? $", [yellow]{c.UnreadableEvents} unreadable skipped[/]" : "")}{(c.CheckpointSaveFailures > 0 ? $", [yellow]{c.CheckpointSaveFailures} checkpoint saves failed[/]" : "")}  [grey]{rate.PerSecond:N0}/s  Ctrl+C to stop[/]"),
        };
        if (status.State == FeedState.CatchingUp)
        {
            lines.Add(new Markup(Progress(status, rate)));
        }

        lines.Add(table);
        return new Rows(lines);
    }

    private static string Progress(FeedStatus status, RateMeter rate)
    {
        if (status.Remaining is { } left && status.Counters.Events + left > 0)
        {
            double done = status.Counters.Events / (double)(status.Counters.Events + left);
            int width = 30, filled = (int)(done * width);
            string eta = rate.PerSecond > 0 ? TimeSpan.FromSeconds(left / rate.PerSecond).ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : "?";
            return $"[blue]{new string('█', filled)}[/][grey]{new string('░', width - filled)}[/] {done:P0}  {left:N0} events left  ETA {eta}";
        }

        return status.Behind is { } behind ? $"[blue]{behind:g} behind[/]" : "[blue]catching up…[/]";
    }

    private static string Summary(IntileryEvent e)
    {
        if ((e.Properties ?? e.Traits) is not { ValueKind: System.Text.Json.JsonValueKind.Object } bag)
        {
            return "";
        }

        var parts = bag.EnumerateObject().Where(p => p.Value.ValueKind is System.Text.Json.JsonValueKind.String or System.Text.Json.JsonValueKind.Number)
            .Take(3).Select(p => $"{p.Name}={p.Value}");
        string text = string.Join(" ", parts);
        return text.Length > 60 ? text[..57] + "..." : text;
    }

    private sealed class RateMeter
    {
        private readonly Queue<long> _stamps = new();

        public double PerSecond
        {
            get
            {
                Trim();
                return _stamps.Count / 5.0;
            }
        }

        public void Add()
        {
            _stamps.Enqueue(Environment.TickCount64);
            Trim();
        }

        private void Trim()
        {
            long cutoff = Environment.TickCount64 - 5_000;
            while (_stamps.TryPeek(out long t) && t < cutoff)
            {
                _stamps.Dequeue();
            }
        }
    }
}
