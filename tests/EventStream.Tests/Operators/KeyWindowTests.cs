using CsCheck;
using EventStream.Operators.Internal;

namespace EventStream.Tests.Operators;

/// <summary>The dedupe's open-addressing window against a plain model (a hash set and a queue), on keys made to collide.</summary>
public class KeyWindowTests
{
    // Few distinct keys (many repeats) whose low bits (the home slot) cluster on a few slots spread over the table, near
    // its end too, so probe runs are long and wrap around; zero included.
    private static readonly Gen<UInt128> Keys = Gen.Int[0, 300].Select(n => n == 0 ? UInt128.Zero : new UInt128((ulong)n, (ulong)(n % 11) * 29));

    [Fact]
    public void Matches_AModelSetWithAQueue_ForAnySequenceOfAddsAndEvictions()
    {
        Gen.Select(Gen.Int[1, 200], Gen.Select(Keys, Gen.Bool).Array[0, 2_000]).Sample(t =>
        {
            (int max, (UInt128 Key, bool Evict)[] steps) = t;
            var window = new KeyWindow(initialCapacity: 16);
            var set = new HashSet<UInt128>();
            var order = new Queue<UInt128>();
            long clock = 0;
            foreach ((UInt128 key, bool evictOne) in steps)
            {
                bool evict = evictOne;
                clock++;
                bool added = window.Add(key, clock);
                Assert.Equal(set.Add(key), added);
                if (added)
                {
                    order.Enqueue(key);
                }

                while (set.Count > max || (evict && set.Count > 0))
                {
                    Assert.True(window.TryPeekOldest(out _));
                    window.RemoveOldest();
                    set.Remove(order.Dequeue());
                    evict = false;
                }

                Assert.Equal(set.Count, window.Count);
            }

            foreach (UInt128 key in set)
            {
                Assert.False(window.Add(key, clock)); // everything the model holds, the window still knows
            }
        }, iter: 300);
    }

    [Fact]
    public void OldestFirst_WithTheirTimestamps()
    {
        var window = new KeyWindow(initialCapacity: 16);
        for (int i = 1; i <= 100; i++)
        {
            Assert.True(window.Add(new UInt128(0, (ulong)i), timestamp: i * 10));
        }

        Assert.True(window.TryPeekOldest(out long first));
        window.RemoveOldest();
        Assert.True(window.TryPeekOldest(out long second));

        Assert.Equal(10, first);
        Assert.Equal(20, second);
        Assert.Equal(99, window.Count);
        Assert.True(window.Add(new UInt128(0, 1), 2_000)); // forgotten, so new again
        Assert.False(window.Add(new UInt128(0, 2), 2_000));
    }
}
