using BenchmarkDotNet.Attributes;
using EventStream.Api;

namespace EventStream.Benchmarks;

/// <summary>
/// One 100-event page fetched and parsed by <see cref="EventsApiClient"/> from <c>eventstream serve</c> in its own
/// process: plain (the baseline) against gzip (<c>serve --gzip</c>, as a gateway in front of the API would compress;
/// the client always accepts it). Per event: wall time (the server's compression included), and the client's allocations.
/// Bytes on the wire: 104,689 plain, 26,668 gzip per page (measured with <c>fetch 1 gzip</c>).
/// </summary>
[MemoryDiagnoser]
public class CompressionBenchmarks
{
    private const int PageEvents = 100;
    private SimulatorProcess _plainServer = null!;
    private SimulatorProcess _gzipServer = null!;
    private EventsApiClient _plain = null!;
    private EventsApiClient _gzip = null!;
    private readonly EventsQuery _query = new() { Sort = EventSort.Ascending, Size = PageEvents };

    [GlobalSetup]
    public void Setup()
    {
        _plainServer = SimulatorProcess.Start(1_000, requestsPerSecond: 0, burst: 500);
        _gzipServer = SimulatorProcess.Start(1_000, requestsPerSecond: 0, burst: 500, gzip: true);
        _plain = Client(_plainServer);
        _gzip = Client(_gzipServer);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _plain.Dispose();
        _gzip.Dispose();
        _plainServer.Dispose();
        _gzipServer.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PageEvents, Description = "plain page: fetch + parse")]
    public async Task<int> Plain() => (await _plain.GetPageAsync(_query)).Events.Count;

    [Benchmark(OperationsPerInvoke = PageEvents, Description = "gzip page: fetch + decompress + parse")]
    public async Task<int> Gzip() => (await _gzip.GetPageAsync(_query)).Events.Count;

    private static EventsApiClient Client(SimulatorProcess server) => new(new EventsApiOptions
    {
        BaseUrl = server.BaseUrl, ClientId = "demo", AccountId = "demo", BrandId = "DEMO", AuthToken = server.Token,
        RequestsPerSecond = 100_000, Burst = 100_000,
    });
}
