namespace EventStream.Feed;

/// <summary>What a feed is doing.</summary>
public enum FeedState
{
    /// <summary>Created, not yet polling.</summary>
    Idle,

    /// <summary>Reading events that already exist, faster than real time.</summary>
    CatchingUp,

    /// <summary>At the head: polling for new events.</summary>
    Live,

    /// <summary>The API failed transiently; the feed will try again (its position is kept).</summary>
    Retrying,

    /// <summary>Stopped: disposed, cancelled, or reached <see cref="FeedOptions.Until"/>.</summary>
    Stopped,

    /// <summary>Ended for good by a permanent error or a consumer that threw (see <see cref="FeedStatus.Error"/>); never left.</summary>
    Faulted,
}
