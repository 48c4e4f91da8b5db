namespace EventStream.Feed.Internal;

/// <summary>An observer that says what kind of consumer it is (e.g. a <see cref="FeedGroup"/>'s), for status and logs.</summary>
internal interface IFeedConsumer
{
    string Kind { get; }
}
