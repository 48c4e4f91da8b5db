namespace EventStream.AspNetCore.ServerSentEvents;

/// <summary>How <c>MapEventStream</c> serves a feed to browsers.</summary>
public sealed class EventStreamOptions
{
    /// <summary>Events kept for clients that reconnect with <c>Last-Event-ID</c>; an older id gets a <c>reset</c> event.</summary>
    /// <value>Default 10,000.</value>
    public int ReplayCapacity { get; set; } = 10_000;

    /// <summary>Events one connection may have waiting; past that the client gets a <c>lagged</c> event and is disconnected (it can resume).</summary>
    /// <value>Default 1,000.</value>
    public int ClientBufferCapacity { get; set; } = 1_000;

    /// <summary>How often an idle connection gets a <c>heartbeat</c> event, so proxies keep it open and clients see it alive.</summary>
    /// <value>Default 15 seconds.</value>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);
}
