using System.Text;
using EventStream.Parsing;
using Microsoft.Extensions.Time.Testing;

namespace EventStream.Tests.Infrastructure;

internal static class TestEvents
{
    public static readonly DateTimeOffset T0 = new(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);

    /// <summary>An event with the given id, time (ms after <see cref="T0"/>), action and properties JSON.</summary>
    public static IntileryEvent Make(string id, int ms = 0, string action = "page", string properties = "{}")
        => IntileryEvent.Parse(Encoding.UTF8.GetBytes(
            "{\"eventId\":\"" + id + "\",\"eventAction\":\"" + action + "\",\"eventTime\":\""
            + EventStream.Api.EventsQuery.FormatTime(T0.AddMilliseconds(ms)) + "\",\"rawData\":{\"event\":\"x\",\"properties\":" + properties + "}}"));
}

/// <summary>Records notifications with the fake clock's time, for exact sequence assertions.</summary>
internal sealed class Recorder<T>(FakeTimeProvider? time = null) : IObserver<T>
{
    private readonly DateTimeOffset _start = time?.GetUtcNow() ?? default;

    public List<string> Log { get; } = [];

    private string At => time is null ? "" : $"@{(time.GetUtcNow() - _start).TotalMilliseconds}";

    public void OnNext(T value) => Log.Add($"{(value is IntileryEvent e ? e.EventId : value?.ToString())}{At}");

    public void OnError(Exception error) => Log.Add($"error:{error.GetType().Name}{At}");

    public void OnCompleted() => Log.Add($"done{At}");
}
