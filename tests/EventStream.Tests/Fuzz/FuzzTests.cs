using System.Globalization;
using System.Reflection;
using System.Text;
using CsCheck;
using EventStream.Checkpoints;
using EventStream.Parsing;
using EventStream.Simulator;
using EventStream.Typed;
using TypedEvent = EventStream.Typed.PlannedEvent;

namespace EventStream.Tests.Fuzz;

/// <summary>
/// Random and mutated input (from real pages, NDJSON and checkpoints) to everything that reads bytes from outside: each
/// returns a result or throws its documented exception — never another exception type, never a crash. A few thousand
/// cases here; <c>EVENTSTREAM_FUZZ_ITERATIONS=1000000 dotnet test --filter Category=Fuzz</c> runs a million per target.
/// </summary>
[Trait("Category", "Fuzz")]
public class FuzzTests
{
    private static readonly long Iterations = long.TryParse(Environment.GetEnvironmentVariable("EVENTSTREAM_FUZZ_ITERATIONS"), NumberStyles.None, CultureInfo.InvariantCulture, out long n) ? n : 3_000;

    private static readonly byte[] SamplePage = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "data", "sample-page.json"));

    private static readonly byte[] SyntheticPage = Synthetic();

    private static byte[] Synthetic()
    {
        var events = new SyntheticEvents(11);
        var t = new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
        return SyntheticEvents.Page([.. Enumerable.Range(0, 12).Select(i => events.Create(t.AddMilliseconds(i * 7)))], 12);
    }

    private static readonly byte[] Ndjson = Encoding.UTF8.GetBytes(string.Join('\n', EventPage.Parse(SamplePage).Events.Take(8).Select(e => Encoding.UTF8.GetString(e.Json.Span))) + "\n");

    [Fact]
    public void EventPageReader_AnyMutationOfARealPage_ReturnsEventsOrFormatException()
        => Mutations.OfAny(SamplePage, SyntheticPage).Sample(bytes => Expect<EventPageFormatException>(() => Touch(EventPage.Parse(bytes).Events)), iter: Iterations);

    [Fact]
    public void EventPageReader_RandomBytes_ReturnsEventsOrFormatException()
        => Gen.Byte.Array[0, 300].Sample(bytes => Expect<EventPageFormatException>(() => Touch(EventPage.Parse(bytes).Events)), iter: Iterations);

    [Fact]
    public void TypedDecode_AnyMutationOfARealPage_ReturnsTypedEventsOrFormatException_ViolationsNeverThrow()
    {
        EventCatalog catalog = IntileryEvents.Catalog.WithViolationHandler(static _ => { });
        Mutations.OfAny(SamplePage, SyntheticPage).Sample(bytes => Expect<EventPageFormatException>(() => Touch(EventPage.Parse(bytes, catalog).Events)), iter: Iterations);
    }

    [Fact]
    public void NdjsonEvents_AnyMutation_ReturnsEventsOrFormatException()
        => Mutations.Of(Ndjson).Sample(bytes => Expect<EventPageFormatException>(() => Touch([.. NdjsonEvents.Read(bytes, IntileryEvents.Catalog)])), iter: Iterations);

    [Theory]
    [InlineData(true)] // the seen ids in their compact form
    [InlineData(false)] // as objects (times finer than a millisecond)
    public async Task FileCheckpointStoreLoad_AnyMutationOfARealCheckpoint_ReturnsACheckpointOrInvalidData(bool wholeMilliseconds)
    {
        DateTimeOffset now = wholeMilliseconds ? new DateTimeOffset(2026, 12, 3, 12, 0, 0, 123, TimeSpan.Zero) : DateTimeOffset.UtcNow.AddTicks(1);
        string directory = Directory.CreateTempSubdirectory("eventstream-fuzz-").FullName;
        try
        {
            string original = Path.Combine(directory, "original.json");
            var checkpoint = new FeedCheckpoint(
                now, now.AddSeconds(-30), now,
                [new SeenEvent("ec717144-1c2f-4a4b-9a8d-2f3e4d5c6b7a", now), new SeenEvent("x\"y", now), new SeenEvent("b6b2c1d0-0f1e-4d3c-8b7a-6f5e4d3c2b1a", now.AddMilliseconds(17))], "include=;exclude=");
            await new FileCheckpointStore(original).SaveAsync(checkpoint, CancellationToken.None);
            byte[] saved = File.ReadAllBytes(original);
            long i = 0;
            Mutations.Of(saved).Sample(bytes =>
            {
                string path = Path.Combine(directory, $"{Interlocked.Increment(ref i) % 64}-{Environment.CurrentManagedThreadId}.json");
                File.WriteAllBytes(path, bytes);
                Expect<InvalidDataException>(() =>
                {
                    FeedCheckpoint? loaded = new FileCheckpointStore(path).LoadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
                    Assert.NotNull(loaded); // a file that exists is a checkpoint or an error, never "nothing"
                    Assert.NotNull(loaded.Query);
                    Assert.All(loaded.Seen, s => Assert.NotNull(s?.EventId));
                });
            }, iter: Iterations);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void Expect<TDocumented>(Action action) where TDocumented : Exception
    {
        try
        {
            action();
        }
        catch (TDocumented)
        {
        }
    }

    // Reads everything an event offers lazily (strings, rawData, typed properties), so that lazy decoding is fuzzed too.
    private static void Touch(IReadOnlyList<IntileryEvent> events)
    {
        foreach (IntileryEvent e in events)
        {
            _ = (e.EventId, e.EventAction, e.EventTime, e.ReceivedTime, e.Email, e.CustomerId, e.UserId, e.ExternalId, e.Json.Length);
            _ = (e.RawData.ValueKind, e.EventName, e.Properties, e.Context, e.Traits);
            if (e is TypedEvent planned)
            {
                foreach (PropertyInfo property in planned.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                {
                    _ = property.GetValue(planned);
                }

                _ = planned.Violations.Count;
            }
        }
    }
}
