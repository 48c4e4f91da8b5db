using EventStream.Simulator.Internal;

namespace EventStream.Simulator;

/// <summary>One client/account/brand the simulator hosts: where it is, the token it accepts, and its events.</summary>
public sealed class SimulatedBrand
{
    internal SimulatedBrand(int index, SimulatorOptions options)
    {
        Index = index;
        ClientId = options.ClientId;
        AccountId = options.AccountId;
        BrandId = options.BrandIdAt(index);
        Token = options.TokenAt(index);
        Events = new SyntheticEvents(unchecked(options.Seed + (index * 7_919)), ClientId, AccountId, BrandId);
        Store = new EventStore(options.Retention, options.MaxEventsPerBrand);
    }

    /// <summary>Its position among the simulator's brands (0-based).</summary>
    public int Index { get; }

    /// <summary>The client id in its URL.</summary>
    public string ClientId { get; }

    /// <summary>The account id in its URL.</summary>
    public string AccountId { get; }

    /// <summary>The brand id in its URL.</summary>
    public string BrandId { get; }

    /// <summary>The auth token it accepts.</summary>
    public string Token { get; }

    /// <summary>The generator of its synthetic events.</summary>
    public SyntheticEvents Events { get; }

    /// <summary>How many events it holds (visible or not yet).</summary>
    public int EventCount => Store.Count;

    /// <summary>How many of its events retention has dropped (<see cref="SimulatorOptions.Retention"/>, <see cref="SimulatorOptions.MaxEvents"/>).</summary>
    public long DroppedEventCount => Store.Dropped;

    internal EventStore Store { get; }

    /// <summary>Adds one event to this brand.</summary>
    /// <param name="e">The event.</param>
    public void Add(SimulatedEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        Store.Add(e);
    }

    /// <summary>Its events, in no particular order.</summary>
    /// <returns>A snapshot.</returns>
    public IReadOnlyList<SimulatedEvent> Snapshot() => Store.Snapshot();

    /// <inheritdoc />
    public override string ToString() => $"{ClientId}/{AccountId}/{BrandId}";
}
