namespace EventStream.Tests.Infrastructure;

internal static class TestData
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);

    public static byte[] SamplePage => File.ReadAllBytes(PathOf("sample-page.json"));
}
