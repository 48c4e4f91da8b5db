using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;

namespace EventStream.Tests.Infrastructure;

/// <summary>One request the receiver got.</summary>
internal sealed record ReceivedDelivery(string Path, string WebhookId, long Timestamp, byte[] Body, bool Verified, string? VerifyError, string? CustomerId, IReadOnlyDictionary<string, string> Headers, int Attempt)
{
    public string BodyText => Encoding.UTF8.GetString(Body);
}

/// <summary>What the receiver answers.</summary>
internal sealed record Reply(int Status = 200, TimeSpan? RetryAfter = null, bool Hang = false, string? Body = null, string? Location = null, TimeSpan Delay = default)
{
    public static readonly Reply Ok = new();
}

/// <summary>
/// A webhook receiver on 127.0.0.1 (Kestrel, port 0): verifies every signature with the Standard Webhooks library for
/// the path's secrets, records each request, and answers as the test scripts it (500s, 429 with Retry-After, 410, a
/// hanging request, a delay). Tracks requests in flight per customer, so a test can tell one customer's events never
/// overlapped. With <c>strictTimestamps: false</c> (tests on a fake clock, whose timestamps are not now) the signature
/// is checked by signing with the library and comparing, without its 5-minute timestamp window.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly bool _strict;
    private readonly ConcurrentDictionary<string, string[]> _secrets = new();
    private readonly ConcurrentDictionary<string, Func<ReceivedDelivery, Reply>> _behaviour = new();
    private readonly ConcurrentQueue<ReceivedDelivery> _received = new();
    private readonly ConcurrentDictionary<string, int> _attempts = new();
    private readonly ConcurrentDictionary<string, int> _inFlightByCustomer = new();
    private readonly CancellationTokenSource _stop = new();
    private int _inFlight;
    private int _maxInFlight;
    private int _customerOverlaps;
    private int _hanging;

    private WebhookReceiver(WebApplication app, bool strict)
    {
        _app = app;
        _strict = strict;
    }

    public Uri BaseUrl { get; private set; } = null!;

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>Times two requests for one customer on one path were in flight at once (must stay 0).</summary>
    public int CustomerOverlaps => Volatile.Read(ref _customerOverlaps);

    public int Hanging => Volatile.Read(ref _hanging);

    public static async Task<WebhookReceiver> StartAsync(bool strictTimestamps = true)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        var receiver = new WebhookReceiver(app, strictTimestamps);
        app.Run(receiver.HandleAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        receiver.BaseUrl = new Uri(address.TrimEnd('/') + "/");
        return receiver;
    }

    public Uri Url(string path) => new(BaseUrl, path.TrimStart('/'));

    /// <summary>Deliveries to this path must be signed by one of these secrets.</summary>
    public void Verify(string path, params string[] secrets) => _secrets["/" + path.TrimStart('/')] = secrets;

    public void Answer(string path, Func<ReceivedDelivery, Reply> behaviour) => _behaviour["/" + path.TrimStart('/')] = behaviour;

    public IReadOnlyList<ReceivedDelivery> Received(string? path = null)
        => [.. _received.Where(d => path is null || d.Path == "/" + path.TrimStart('/'))];

    /// <summary>Requests answered 2xx, per path.</summary>
    public IReadOnlyList<ReceivedDelivery> Accepted(string path) => [.. Received(path).Where(d => d.Attempt > 0 && _accepted.ContainsKey((d.Path, d.WebhookId, d.Attempt)))];

    private readonly ConcurrentDictionary<(string, string, int), byte> _accepted = new();

    private async Task HandleAsync(HttpContext context)
    {
        string path = context.Request.Path.Value ?? "/";
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        byte[] body = buffer.ToArray();
        string id = context.Request.Headers["webhook-id"].ToString();
        long timestamp = long.TryParse(context.Request.Headers["webhook-timestamp"].ToString(), out long t) ? t : 0;
        (bool verified, string? error) = Check(path, body, context.Request.Headers, id, timestamp);
        string? customer = null;
        try
        {
            using JsonDocument json = JsonDocument.Parse(body);
            JsonElement root = json.RootElement.TryGetProperty("data", out JsonElement data) ? data : json.RootElement;
            customer = root.TryGetProperty("customerId", out JsonElement c) ? c.GetString() : null;
        }
        catch (JsonException)
        {
        }

        int attempt = _attempts.AddOrUpdate(path + " " + id, 1, (_, n) => n + 1);
        var delivery = new ReceivedDelivery(path, id, timestamp, body, verified, error, customer,
            context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), attempt);
        _received.Enqueue(delivery);

        int now = Interlocked.Increment(ref _inFlight);
        InterlockedMax(ref _maxInFlight, now);
        string customerKey = path + " " + customer;
        if (customer is not null && _inFlightByCustomer.AddOrUpdate(customerKey, 1, (_, n) => n + 1) > 1)
        {
            Interlocked.Increment(ref _customerOverlaps);
        }

        try
        {
            Reply reply = _behaviour.TryGetValue(path, out var behave) ? behave(delivery) : Reply.Ok;
            if (reply.Delay > TimeSpan.Zero)
            {
                await Task.Delay(reply.Delay);
            }

            if (reply.Hang)
            {
                Interlocked.Increment(ref _hanging);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _stop.Token);
                try
                {
                    await Task.Delay(Timeout.Infinite, either.Token);
                }
                catch (OperationCanceledException)
                {
                }

                return;
            }

            if (reply.Status is >= 200 and < 300)
            {
                _accepted[(path, id, attempt)] = 0;
            }

            context.Response.StatusCode = reply.Status;
            if (reply.RetryAfter is { } after)
            {
                context.Response.Headers.RetryAfter = ((int)after.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            if (reply.Location is { } location)
            {
                context.Response.Headers.Location = location;
            }

            if (reply.Body is { } text)
            {
                await context.Response.WriteAsync(text);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
            if (customer is not null)
            {
                _inFlightByCustomer.AddOrUpdate(customerKey, 0, (_, n) => n - 1);
            }
        }
    }

    private (bool, string?) Check(string path, byte[] body, IHeaderDictionary headers, string id, long timestamp)
    {
        if (!_secrets.TryGetValue(path, out string[]? secrets))
        {
            return (true, null);
        }

        string payload = Encoding.UTF8.GetString(body);
        string? last = null;
        foreach (string secret in secrets)
        {
            var webhook = new StandardWebhook(secret);
            try
            {
                if (_strict)
                {
                    // StandardWebhooks 1.1.2's Verify checks only the first signature of a header holding several (its
                    // loop ends after one), so during a rotation a receiver must verify each signature on its own.
                    foreach (string signature in headers["webhook-signature"].ToString().Split(' '))
                    {
                        var one = new HeaderDictionary { ["webhook-id"] = id, ["webhook-timestamp"] = headers["webhook-timestamp"], ["webhook-signature"] = signature };
                        try
                        {
                            webhook.Verify(payload, one);
                            return (true, null);
                        }
                        catch (WebhookVerificationException ex)
                        {
                            last = ex.Message;
                        }
                    }

                    continue;
                }

                string expected = webhook.Sign(id, DateTimeOffset.FromUnixTimeSeconds(timestamp), payload);
                if (headers["webhook-signature"].ToString().Split(' ').Contains(expected))
                {
                    return (true, null);
                }

                last = "No matching signature found";
            }
            catch (WebhookVerificationException ex)
            {
                last = ex.Message;
            }
        }

        return (false, last);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _stop.Dispose();
    }
}
