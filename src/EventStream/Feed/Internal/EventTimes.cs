namespace EventStream.Feed.Internal;

/// <summary>The feed's arithmetic on event times: the API's times are whole milliseconds.</summary>
internal static class EventTimes
{
    public static readonly TimeSpan OneMs = TimeSpan.FromMilliseconds(1);

    public static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b)
        => a is null ? b : b is null ? a : (a > b ? a : b);

    public static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    public static DateTimeOffset TruncateToMs(DateTimeOffset time)
        => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    public static DateTimeOffset CeilingToMs(DateTimeOffset time)
    {
        long remainder = time.UtcTicks % TimeSpan.TicksPerMillisecond;
        return remainder == 0 || time.UtcTicks > DateTimeOffset.MaxValue.UtcTicks - TimeSpan.TicksPerMillisecond
            ? time
            : new DateTimeOffset(time.UtcTicks - remainder + TimeSpan.TicksPerMillisecond, TimeSpan.Zero);
    }
}
