using EventStream.Operators.Internal;

namespace EventStream.Tests.Operators;

public class TimeOrderedBufferTests
{
    [Theory]
    [InlineData(1, 0)]     // in order
    [InlineData(2, 50)]    // a little out of order, as feed events are
    [InlineData(3, 5000)]  // fully shuffled
    public void AddAndRemoveInterleaved_YieldsKeyOrderWithTiesInArrivalOrder(int seed, int disorder)
    {
        var random = new Random(seed);
        var buffer = new TimeOrderedBuffer<int>();
        var added = new List<(int Item, long Key)>();
        var removed = new List<(int Item, long Key)>();
        for (int i = 0; i < 5000; i++)
        {
            long key = (i / 3) - random.Next(0, disorder + 1); // ties: three items per key
            buffer.Add(i, key);
            added.Add((i, key));
            if (random.Next(4) == 0 && buffer.TryPeek(out int item, out long first))
            {
                buffer.RemoveFirst();
                removed.Add((item, first));
            }
        }

        while (buffer.TryPeek(out int item, out long key))
        {
            buffer.RemoveFirst();
            removed.Add((item, key));
        }

        Assert.Equal(0, buffer.Count);
        Assert.Equal(added.Select(a => a.Item).Order(), removed.Select(r => r.Item).Order());
        if (disorder == 0)
        {
            Assert.Equal(added, removed); // nothing to reorder: removal order is arrival order
        }

        // Whatever was held at a removal came out in key order, ties by arrival: so a stable sort of the whole
        // stream equals the output when everything is held (checked on a run without interleaved removals).
        var all = new TimeOrderedBuffer<int>();
        foreach ((int item, long key) in added)
        {
            all.Add(item, key);
        }

        var drained = new List<(int Item, long Key)>();
        while (all.TryPeek(out int item, out long key))
        {
            all.RemoveFirst();
            drained.Add((item, key));
        }

        Assert.Equal(added.OrderBy(a => a.Key), drained);
    }
}
