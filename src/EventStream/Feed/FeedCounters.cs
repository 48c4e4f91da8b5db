namespace EventStream.Feed;

/// <summary>A snapshot of what a feed has done.</summary>
/// <param name="Requests">Page requests completed (retries inside one request not counted).</param>
/// <param name="Events">Events delivered.</param>
/// <param name="LateEvents">Events delivered behind the head (marked <see cref="Parsing.IntileryEvent.IsLate"/>).</param>
/// <param name="DuplicatesDropped">Events read again and dropped by dedupe.</param>
/// <param name="RateLimited">429 responses received.</param>
/// <param name="Retries">Attempts retried after transient failures.</param>
/// <param name="SweepRequests">Of <paramref name="Requests"/>, those made by the settle sweep.</param>
public sealed record FeedCounters(long Requests, long Events, long LateEvents, long DuplicatesDropped, long RateLimited, long Retries, long SweepRequests);
