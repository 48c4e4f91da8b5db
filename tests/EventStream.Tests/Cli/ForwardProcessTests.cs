using System.Text.Json;
using EventStream.Simulator;
using EventStream.Tests.Infrastructure;
using static EventStream.Tests.Webhooks.WebhookTestKit;

namespace EventStream.Tests.Cli;

/// <summary>
/// The real <c>eventstream forward</c> process, killed with SIGKILL mid-run and started again on its checkpoint: every
/// event is delivered at least once, repeats stay within the checkpoint bound and carry their original
/// <c>webhook-id</c>, and each customer's events arrive in order within each run.
/// </summary>
public sealed class ForwardProcessTests
{
    [Fact]
    public async Task Forward_KilledMidRunAndRestarted_EveryEventAtLeastOnce_RepeatsBoundedWithTheirWebhookId_OrderPerCustomer()
    {
        await using IntilerySimulator simulator = await Loopback.StartAsync(o => { o.Backlog = 400; o.BacklogAge = TimeSpan.FromMinutes(10); o.BacklogSpan = TimeSpan.FromMinutes(10); o.LiveRate = 20; });
        await using WebhookReceiver receiver = await WebhookReceiver.StartAsync();
        receiver.Verify("hook", Secret1);
        receiver.Answer("hook", _ => new Reply(Delay: TimeSpan.FromMilliseconds(2)));
        string dir = Path.Combine(Path.GetTempPath(), $"fwd-kill-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        string[] args =
        [
            "forward", "--base-url", simulator.BaseUrl.ToString(), "--client", simulator.Options.ClientId, "--account", simulator.Options.AccountId,
            "--brand", simulator.Options.BrandId, "--from-beginning", "--max-lateness", "2s", "--checkpoint", Path.Combine(dir, "cp.json"),
            "--to", receiver.Url("hook").ToString(), "--secret-env", "FORWARD_TEST_SECRET", "--dead-letters", Path.Combine(dir, "dead.ndjson"), "--status-every", "1s",
        ];
        var environment = new Dictionary<string, string> { ["EVENTSTREAM_TOKEN"] = simulator.Options.Token, ["FORWARD_TEST_SECRET"] = Secret1 };
        HashSet<string> Accepted() => [.. receiver.Accepted("hook").Select(d => d.WebhookId)];
        try
        {
            int killedAt;
            await using (CliProcess first = CliProcess.Start(args, environment))
            {
                _ = first.Output.ReadToEndAsync();
                _ = first.Error.ReadToEndAsync();
                await Wait.UntilAsync(() => Accepted().Count >= 150, "the first run has delivered 150 events", TimeSpan.FromSeconds(90));
                first.Process.Kill(); // SIGKILL: no checkpoint saved on the way out
                await first.Process.WaitForExitAsync();
                killedAt = receiver.Received("hook").Count;
            }

            IReadOnlyList<SimulatedEvent> expected = simulator.Snapshot();
            await using (CliProcess second = CliProcess.Start(args, environment))
            {
                Task<string> errors = second.Error.ReadToEndAsync();
                _ = second.Output.ReadToEndAsync();
                await Wait.UntilAsync(() => expected.All(e => Accepted().Contains(e.EventId)), $"every one of the {expected.Count} events is delivered after the restart", TimeSpan.FromSeconds(90));
                second.Signal("TERM");
                await second.Process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(40));
                Assert.Equal(0, second.Process.ExitCode);
                string stderr = await errors;
                Assert.Contains("Ctrl+C stops.", stderr, StringComparison.Ordinal);
                // The stop line always carries the summary (the periodic status line may not have ticked before a quick stop).
                Assert.Contains("eventstream forward: stopped; forwarded", stderr, StringComparison.Ordinal);
                Assert.DoesNotContain(Secret1[6..], stderr, StringComparison.Ordinal);
                Assert.DoesNotContain(simulator.Options.Token, stderr, StringComparison.Ordinal);
            }

            IReadOnlyList<ReceivedDelivery> all = receiver.Received("hook");
            Assert.All(all, d => Assert.True(d.Verified, d.VerifyError));
            Assert.All(all, d => Assert.Equal(d.WebhookId, JsonDocument.Parse(d.Body).RootElement.GetProperty("eventId").GetString()));
            int repeats = receiver.Accepted("hook").Count - Accepted().Count;
            Assert.InRange(repeats, 0, 1_000 + 1_000); // CheckpointAfterEvents plus the route's queue
            Assert.Equal(0, receiver.CustomerOverlaps);
            Dictionary<string, DateTimeOffset> times = simulator.Snapshot().ToDictionary(e => e.EventId, e => e.EventTime);
            foreach (IEnumerable<ReceivedDelivery> run in new[] { all.Take(killedAt), all.Skip(killedAt) })
            {
                foreach (IGrouping<string?, ReceivedDelivery> customer in run.GroupBy(d => d.CustomerId))
                {
                    DateTimeOffset[] order = [.. customer.Select(d => times[d.WebhookId])];
                    Assert.Equal(order.Order(), order);
                }
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
