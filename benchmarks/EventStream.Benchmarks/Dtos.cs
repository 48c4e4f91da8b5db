using System.Text.Json;
using System.Text.Json.Serialization;

namespace EventStream.Benchmarks;

// What a user would write today to read a page with System.Text.Json or Newtonsoft: the envelope as properties,
// rawData kept as a JSON value (the same information the library's untyped event gives).
public sealed class PageDto
{
    [JsonPropertyName("data")]
    [Newtonsoft.Json.JsonProperty("data")]
    public List<EventDto> Data { get; set; } = [];

    [JsonPropertyName("total")]
    [Newtonsoft.Json.JsonProperty("total")]
    public long? Total { get; set; }
}

public sealed class EventDto
{
    public string? Id { get; set; }
    public string? ExternalId { get; set; }
    public string? Email { get; set; }
    public string? EventId { get; set; }
    public DateTimeOffset EventTime { get; set; }
    public DateTimeOffset? ReceivedTime { get; set; }
    public string? EventAction { get; set; }
    public string? ClientId { get; set; }
    public string? AccountId { get; set; }
    public string? BrandId { get; set; }
    public string? CustomerId { get; set; }
    public string? UserId { get; set; }
    public string? Source { get; set; }

    [Newtonsoft.Json.JsonIgnore]
    public JsonElement RawData { get; set; }

    [JsonIgnore]
    [Newtonsoft.Json.JsonProperty("rawData")]
    public Newtonsoft.Json.Linq.JObject? RawDataNewtonsoft { get; set; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PageDto))]
public sealed partial class PageJsonContext : JsonSerializerContext;
