using EventStream.Parsing;

namespace EventStream.Api.Internal;

/// <summary>What a response said besides its body.</summary>
/// <param name="RequestId">The <c>x-amzn-RequestId</c>.</param>
/// <param name="Date">The server's <c>Date</c> header (whole seconds), when sent.</param>
/// <param name="SentTimestamp">The local monotonic timestamp (<see cref="TimeProvider.GetTimestamp"/>) just before the request that got this response was sent.</param>
internal readonly record struct ResponseInfo(string? RequestId, DateTimeOffset? Date, long SentTimestamp);

/// <summary>Parses a response body while it sits in the client's pooled buffer (events copy what they keep out of it).</summary>
internal delegate TResult PageParser<TState, TResult>(ReadOnlySpan<byte> body, in ResponseInfo info, TState state);

/// <summary>Where the feed gets pages: the HTTP client, or an in-memory API in tests.</summary>
internal interface IPageSource
{
    /// <summary>
    /// Sends one query (with pacing and retries) and hands the body to <paramref name="parse"/> while it is still in
    /// the pooled buffer. A parse that throws <see cref="EventPageFormatException"/> counts as a bad response and is retried.
    /// </summary>
    Task<TResult> FetchAsync<TState, TResult>(EventsQuery query, PageParser<TState, TResult> parse, TState state, Action<EventsApiException, TimeSpan>? onRetry, CancellationToken cancellationToken);
}
