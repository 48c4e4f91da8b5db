namespace EventStream.Webhooks;

/// <summary>What a route does with a new event while its queue is full.</summary>
public enum WhenQueueFull
{
    /// <summary>The feed waits (every route waits with it) until the route has room; status names the route. The default.</summary>
    Wait = 0,

    /// <summary>
    /// The event is dead-lettered at once (reason <c>queue full</c>), so that one dead endpoint never holds the other
    /// routes; replay the dead letters once it is back.
    /// </summary>
    DeadLetter = 1,
}
