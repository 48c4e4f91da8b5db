namespace EventStream.Tests.Infrastructure;

internal static class TestData
{
    public static string PathOf(string name) => Path.Combine(AppContext.BaseDirectory, "data", name);

    public static byte[] SamplePage => File.ReadAllBytes(PathOf("sample-page.json"));

    /// <summary>The checkout's root (the directory holding EventStream.sln), found upwards from the test binaries.</summary>
    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EventStream.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("EventStream.sln not found above " + AppContext.BaseDirectory);
    }
}
