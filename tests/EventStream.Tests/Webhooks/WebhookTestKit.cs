using System.Text;
using EventStream.Parsing;
using EventStream.Webhooks;
using EventStream.Webhooks.Internal;

namespace EventStream.Tests.Webhooks;

/// <summary>Events, secrets and forwarders for the webhook tests.</summary>
internal static class WebhookTestKit
{
    public static readonly string Secret1 = "whsec_" + Convert.ToBase64String(Encoding.ASCII.GetBytes("first-secret-of-32-bytes-length!"));
    public static readonly string Secret2 = "whsec_" + Convert.ToBase64String(Encoding.ASCII.GetBytes("second-secret-of-32-bytes-long!!"));

    /// <summary>An event of a customer, with properties.</summary>
    public static IntileryEvent Event(string id, string customer, string action = "page", int second = 0, string properties = "{}")
        => IntileryEvent.Parse(Encoding.UTF8.GetBytes(
            "{\"eventId\":\"" + id + "\",\"eventAction\":\"" + action + "\",\"eventTime\":\"2024-05-14T09:00:" + second.ToString("00", System.Globalization.CultureInfo.InvariantCulture)
            + ".000Z\",\"customerId\":\"" + customer + "\",\"rawData\":{\"event\":\"x\",\"properties\":" + properties + "}}"));

    public static string TempFile(string name) => Path.Combine(Path.GetTempPath(), $"{name}-{Guid.NewGuid():N}.ndjson");

    public static RouteDelivery Route(this WebhookForwarder forwarder, string name) => forwarder.RouteDeliveries.Single(r => r.Name == name);

    public static async Task WaitForRetriesAsync(this RouteDelivery route, long count)
        => await Infrastructure.Wait.UntilAsync(() => route.RetriesScheduled >= count, $"{route.Name} has scheduled {count} retries");

    public static async Task<List<WebhookDeadLetter>> ReadDeadLettersAsync(string path)
    {
        var letters = new List<WebhookDeadLetter>();
        if (!File.Exists(path))
        {
            return letters;
        }

        await foreach (WebhookDeadLetter letter in NdjsonDeadLetterStore.ReadAsync(path))
        {
            letters.Add(letter);
        }

        return letters;
    }
}
