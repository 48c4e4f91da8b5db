using System.Text.Json;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using Xunit.Abstractions;

namespace EventStream.Tests.Checkpoints;

/// <summary>
/// A consumer that crashes every second or two still advances: <c>tail --checkpoint</c> killed with SIGKILL at random
/// moments, during catch-up and live, restarted each time; at the end every event has been delivered, and each restart
/// repeated at most <c>CheckpointAfterEvents</c> (1,000) of what earlier runs had printed.
/// </summary>
public class CrashLoopTests(ITestOutputHelper output)
{
    [Fact]
    public async Task KilledAtRandomMoments_EachRestartRepeatsAtMost1000_AndTheUnionIsEverything()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.LiveRate = 50; o.LateShare = 0; o.MaxIndexDelay = TimeSpan.FromMilliseconds(50); });
        simulator.AddBacklog(30_000, DateTimeOffset.UtcNow.AddHours(-3), DateTimeOffset.UtcNow.AddHours(-2));
        string checkpoint = Path.Combine(Path.GetTempPath(), $"eventstream-crash-{Guid.NewGuid():N}.json");
        string[] args =
        [
            "tail", "--base-url", simulator.BaseUrl.ToString(), "--client", simulator.Options.ClientId, "--account", simulator.Options.AccountId,
            "--brand", simulator.Options.BrandId, "--token", simulator.Options.Token, "--from-beginning", "--max-lateness", "2s",
            "--checkpoint", checkpoint, "--format", "ndjson",
        ];
        var random = new Random(20261126);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var repeats = new List<int>();
        try
        {
            for (int run = 0; run < 6; run++)
            {
                // Kill a little after start (runs 0-3 are mostly catch-up, 4-5 live), at a random moment.
                await using CliProcess tail = CliProcess.Start(args);
                Task<string> stdout = tail.Output.ReadToEndAsync();
                Task<string> stderr = tail.Error.ReadToEndAsync();
                await Task.Delay(TimeSpan.FromMilliseconds(run < 4 ? random.Next(700, 2_500) : random.Next(2_000, 4_000)));
                tail.Process.Kill(); // SIGKILL: no chance to save
                await tail.Process.WaitForExitAsync();
                List<string> ids = Ids(await stdout);
                int repeated = ids.Count(seen.Contains);
                repeats.Add(repeated);
                seen.UnionWith(ids);
                output.WriteLine($"run {run}: {ids.Count} events printed, {repeated} repeated; stderr: {(await stderr).Trim()}");
            }

            (int exitCode, string last, string error) = await CliProcess.RunAsync([.. args, "--until-caught-up"], timeout: TimeSpan.FromSeconds(60));
            Assert.True(exitCode == 0, error);
            List<string> finalIds = Ids(last);
            repeats.Add(finalIds.Count(seen.Contains));
            seen.UnionWith(finalIds);
            output.WriteLine($"final run: {finalIds.Count} events, {repeats[^1]} repeated");

            // The last run stops once everything before the newest event it first saw at the head is final; live events
            // after that may or may not have been printed. Everything older than a few seconds before the newest must be.
            DateTimeOffset newest = simulator.Snapshot().Where(e => seen.Contains(e.EventId)).Max(e => e.EventTime);
            var expected = simulator.Snapshot().Where(e => e.EventTime < newest.AddSeconds(-5)).ToList();
            Assert.True(expected.Count > 30_000, $"only {expected.Count} events to check");
            var missing = expected.Where(e => !seen.Contains(e.EventId)).ToList();
            Assert.True(missing.Count == 0, $"{missing.Count} events never delivered across the crashes, e.g. {string.Join(", ", missing.Take(3).Select(e => $"{e.EventId} at {e.EventTime:O} visible {e.VisibleAt:O}"))} (newest {newest:O})");
            Assert.All(repeats, r => Assert.InRange(r, 0, 1_000));
        }
        finally
        {
            File.Delete(checkpoint);
        }
    }

    // The ids of complete lines (a SIGKILL can cut the last line short; that event was not taken).
    private static List<string> Ids(string ndjson)
    {
        var ids = new List<string>();
        foreach (string line in ndjson.Split('\n'))
        {
            if (line.Length == 0 || line[^1] != '}')
            {
                continue;
            }

            try
            {
                ids.Add(JsonDocument.Parse(line).RootElement.GetProperty("eventId").GetString()!);
            }
            catch (JsonException)
            {
                // the cut line
            }
        }

        return ids;
    }
}
