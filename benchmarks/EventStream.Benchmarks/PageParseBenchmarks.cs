using System.Text.Json;
using BenchmarkDotNet.Attributes;
using EventStream.Parsing;
using EventStream.Typed;

namespace EventStream.Benchmarks;

/// <summary>One 100-event page, read seven ways. Baseline: the raw <see cref="Utf8JsonReader"/> token scan, the floor.</summary>
[MemoryDiagnoser]
public class PageParseBenchmarks
{
    private byte[] _page = [];
    private global::Newtonsoft.Json.JsonSerializer _newtonsoft = null!;

    [Params("synthetic", "sample")]
    public string Page { get; set; } = "synthetic";

    [GlobalSetup]
    public void Setup()
    {
        _page = Pages.Get(Page);
        _newtonsoft = global::Newtonsoft.Json.JsonSerializer.CreateDefault();
    }

    [Benchmark(Baseline = true, Description = "raw Utf8JsonReader scan")]
    public int RawScan()
    {
        var reader = new Utf8JsonReader(_page);
        int tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }

    [Benchmark(Description = "header only (id, action, times)")]
    public int HeaderOnly()
    {
        var reader = new EventPageReader(_page);
        int n = 0;
        while (reader.MoveNext())
        {
            EventHeader header = reader.Header;
            n += header.EventId.Length + header.EventAction.Length;
        }

        return n;
    }

    [Benchmark(Description = "untyped events, span (JSON copied into shared chunks)")]
    public int UntypedCopied() => Read(new EventPageReader(_page.AsSpan()), null);

    [Benchmark(Description = "untyped events, memory (views into the page)")]
    public int Untyped() => Read(new EventPageReader(_page.AsMemory()), null);

    [Benchmark(Description = "typed events, span (JSON copied into shared chunks)")]
    public int TypedCopied() => Read(new EventPageReader(_page.AsSpan()), IntileryEvents.Catalog);

    [Benchmark(Description = "typed events, memory (views into the page)")]
    public int Typed() => Read(new EventPageReader(_page.AsMemory()), IntileryEvents.Catalog);

    private static int Read(EventPageReader reader, EventCatalog? catalog)
    {
        int n = 0;
        while (reader.MoveNext())
        {
            n += reader.Materialize(catalog).EventId.Length;
        }

        return n;
    }

    [Benchmark(Description = "System.Text.Json source-gen POCOs")]
    public int SystemTextJson()
        => JsonSerializer.Deserialize(_page, PageJsonContext.Default.PageDto)!.Data.Count;

    [Benchmark(Description = "Newtonsoft.Json POCOs")]
    public int NewtonsoftJson()
    {
        using var text = new StreamReader(new MemoryStream(_page));
        using var json = new global::Newtonsoft.Json.JsonTextReader(text);
        return _newtonsoft.Deserialize<PageDto>(json)!.Data.Count;
    }
}
