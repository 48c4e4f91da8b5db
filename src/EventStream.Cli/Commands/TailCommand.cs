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
    public static Command Create(TextWriter output, TextWriter error)
    {
        var connection = new ConnectionOptions();
        var format = new Option<string?>("--format") { Description = "ndjson (events exactly as received) or table (default on a terminal)" };
        format.AcceptOnlyFromAmong("ndjson", "table");
        var untilCaughtUp = new Option<bool>("--until-caught-up") { Description = "Exit once the newest event has been delivered and late arrivals have been swept" };
        var command = new Command("tail", "Stream Intilery events as they happen.");
        connection.AddTo(command);
        command.Options.Add(format);
        command.Options.Add(untilCaughtUp);
        command.SetStoppableAction(async (ParseResult parse, CancellationToken cancellationToken) =>
        {
            IntilerySimulator? simulator = null;
            try
            {
                (EventsApiOptions? api, FeedOptions? feed, simulator, int exitCode) = await connection.BuildAsync(parse, error, cancellationToken).ConfigureAwait(false);
                if (api is null || feed is null)
                {
                    return exitCode;
                }

                bool table = parse.GetValue(format) is { } f ? f == "table" : !Console.IsOutputRedirected;
                if (!table)
                {
                    // Retries, recoveries, skipped events, failed checkpoint saves: one line each on stderr (the table shows them itself).
                    feed.Logger = new StderrLogger(error, "eventstream tail");
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
                        ? await TableView.RunAsync(eventFeed, simulator is not null, cancellationToken).ConfigureAwait(false)
                        : await RunNdjsonAsync(eventFeed, cancellationToken).ConfigureAwait(false);
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
    // the next is asked for, so the checkpoint never records an event that is still in a buffer. When the reader of a
    // pipe goes away (`| head -1`), the tail stops at once, idle or not: the batches written are checkpointed (the one
    // being written when the pipe closed is not, so a restart delivers it again), and it exits 0, as `yes | head` users
    // expect of a command that has done what was asked; nothing is printed, since nothing went wrong.
    private static async Task<int> RunNdjsonAsync(EventFeed feed, CancellationToken cancellationToken)
    {
        using var stdout = new StandardOutput();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stdout.Closed);
        var buffer = new BufferedStream(stdout.Stream, 64 * 1024); // not disposed: flushing it into a closed pipe would throw
        try
        {
            await foreach (IReadOnlyList<IntileryEvent> batch in feed.ReadBatchesAsync(cancellationToken: stop.Token).ConfigureAwait(false))
            {
                foreach (IntileryEvent e in batch)
                {
                    buffer.Write(e.Json.Span);
                    buffer.WriteByte((byte)'\n');
                }

                buffer.Flush();
            }

            return 0;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return 0; // SIGINT/SIGTERM or a closed pipe: what was written is taken; disposing the feed saves the checkpoint
        }
        catch (IOException)
        {
            return 0; // the pipe closed while a batch was being written
        }
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
}
