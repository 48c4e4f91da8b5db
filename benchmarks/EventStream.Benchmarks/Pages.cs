using System.Text.Json;
using System.Text.Json.Nodes;
using EventStream.Simulator;

namespace EventStream.Benchmarks;

/// <summary>The 100-event pages every parsing benchmark reads, generated once and identical across runs.</summary>
public static class Pages
{
    /// <summary>100 realistic events from the simulator's generator (fixed seed), as the API sends them.</summary>
    public static byte[] Synthetic { get; } = MakeSynthetic();

    /// <summary>The events of <c>sample-page.json</c> repeated to 100, each with its own eventId.</summary>
    public static byte[] SampleShaped { get; } = MakeSampleShaped();

    public static byte[] Get(string name) => name switch
    {
        "synthetic" => Synthetic,
        "sample" => SampleShaped,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, "synthetic or sample"),
    };

    private static byte[] MakeSynthetic()
    {
        var events = new SyntheticEvents(seed: 42);
        var t0 = new DateTimeOffset(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);
        return SyntheticEvents.Page([.. Enumerable.Range(0, 100).Select(i => events.Create(t0.AddMilliseconds(i * 37)))], total: 12_345);
    }

    private static byte[] MakeSampleShaped()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "data", "sample-page.json");
        JsonArray sample = JsonNode.Parse(File.ReadAllBytes(path))!["data"]!.AsArray();
        var data = new JsonArray();
        for (int i = 0; i < 100; i++)
        {
            JsonNode e = sample[i % sample.Count]!.DeepClone();
            e["eventId"] = $"{i:D8}-0000-4000-8000-{i:D12}";
            data.Add(e);
        }

        return JsonSerializer.SerializeToUtf8Bytes(new JsonObject { ["data"] = data });
    }
}
