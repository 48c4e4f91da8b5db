namespace EventStream.Api;

/// <summary>The order of a page's events by <c>eventTime</c>.</summary>
public enum EventSort
{
    /// <summary>Oldest first (<c>sort=asc</c>).</summary>
    Ascending,

    /// <summary>Newest first (<c>sort=desc</c>, the API's default).</summary>
    Descending,
}
