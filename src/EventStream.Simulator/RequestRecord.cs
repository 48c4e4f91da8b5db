namespace EventStream.Simulator;

/// <summary>One request as the simulator saw it (the auth token itself is not kept).</summary>
/// <param name="Time">Server time of arrival.</param>
/// <param name="Path">The request path.</param>
/// <param name="Query">The raw query string, including <c>?</c>.</param>
/// <param name="ContentType">The <c>content-type</c> header as received, if any.</param>
/// <param name="HadValidToken">Whether <c>auth-token</c> matched.</param>
/// <param name="Status">The status code answered.</param>
/// <param name="RequestId">The <c>x-amzn-RequestId</c> answered.</param>
/// <param name="Fault">The injected fault, if any (<c>error</c>, <c>truncated</c>, <c>malformed</c>).</param>
public sealed record RequestRecord(DateTimeOffset Time, string Path, string Query, string? ContentType, bool HadValidToken, int Status, string RequestId, string? Fault);
