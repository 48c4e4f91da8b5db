using EventStream.Parsing;
using EventStream.Typed;

namespace EventStream.Benchmarks;

/// <summary>
/// <c>retain N</c>: what a consumer that keeps 1 event in 100 holds on to. N pages of 100 events are read (each page its
/// own array, as the HTTP client gives them) and the first event of each is kept; the live heap is measured after a
/// full collection, per kept event, three ways: events as views into their page (a reader over memory), events whose
/// JSON was copied into chunks their page shares (a reader over a span, as the feed reads), and views detached with
/// <see cref="IntileryEvent.Detach"/>.
/// </summary>
internal static class Retention
{
    public static void Run(int pages)
    {
        byte[] template = Pages.Synthetic;
        Console.WriteLine($"page: {template.Length:N0} B, 100 events; keeping the first event of each of {pages:N0} pages (typed, IntileryEvents catalog)");
        Measure("views into the page", pages, template, static body => First(new EventPageReader(body.AsMemory())));
        Measure("copied into page chunks", pages, template, static body => First(new EventPageReader(body.AsSpan())));
        Measure("views, then Detach()", pages, template, static body => First(new EventPageReader(body.AsMemory())).Detach());
    }

    private static IntileryEvent First(EventPageReader reader)
    {
        IntileryEvent? first = null;
        while (reader.MoveNext())
        {
            IntileryEvent e = reader.Materialize(IntileryEvents.Catalog);
            first ??= e;
        }

        return first!;
    }

    private static void Measure(string name, int pages, byte[] template, Func<byte[], IntileryEvent> keepOne)
    {
        var kept = new IntileryEvent[pages];
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < pages; i++)
        {
            kept[i] = keepOne(template.AsSpan().ToArray()); // a fresh body per page
        }

        long after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"{name,-30} {(after - before) / (double)pages,10:N0} B retained per kept event");
        GC.KeepAlive(kept);
    }
}
