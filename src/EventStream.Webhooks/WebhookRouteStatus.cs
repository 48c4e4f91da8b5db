namespace EventStream.Webhooks;

/// <summary>A route as of now.</summary>
/// <param name="Name">The route's name.</param>
/// <param name="Queued">Events it holds: waiting, being delivered, or waiting for a retry (at most its <see cref="WebhookRoute.QueueCapacity"/>).</param>
/// <param name="Delivered">Events delivered (2xx).</param>
/// <param name="DeadLettered">Events given up and written to the dead letters.</param>
/// <param name="Attempts">HTTP attempts made.</param>
/// <param name="Failing">In a retry episode: an attempt failed, and the endpoint has not yet answered with every event that failed since delivered or given up.</param>
/// <param name="Disabled">The endpoint answered 410 Gone: nothing more is sent to it (its events are dead-lettered) until restart.</param>
/// <param name="LastStatus">The last HTTP status it answered to any attempt, or <see langword="null"/> (none yet, or no response).</param>
/// <param name="HoldsFeed">Its queue is full and the feed waits for it (<see cref="WhenQueueFull.Wait"/>).</param>
/// <param name="Retrying">Events whose attempt failed and that wait for their retry (part of <paramref name="Queued"/>).</param>
/// <param name="LastFailure">The last failed attempt, as the log says it (<c>HTTP 500</c>, <c>no response within 10 s</c>, <c>connection failed: …</c>), or <see langword="null"/> when none has failed.</param>
public sealed record WebhookRouteStatus(string Name, int Queued, long Delivered, long DeadLettered, long Attempts, bool Failing, bool Disabled, int? LastStatus, bool HoldsFeed, int Retrying, string? LastFailure);
