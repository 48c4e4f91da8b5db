namespace EventStream.Tests.Cli;

/// <summary><c>eventstream relay</c>'s bad input: usage and exit 2, with a message naming the entry — before connecting to NATS.</summary>
public class RelayCommandTests
{
    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(string feedsJson, params string[] more)
    {
        string file = Path.Combine(Path.GetTempPath(), $"feeds-{Guid.NewGuid():N}.json");
        File.WriteAllText(file, feedsJson);
        try
        {
            var output = new StringWriter();
            var error = new StringWriter();
            int exitCode = await EventStream.Cli.Program.RunAsync(["relay", "--nats", "nats://127.0.0.1:1", "--feeds", file, .. more], output, error);
            return (exitCode, output.ToString(), error.ToString());
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("[]", "no feeds in the file")]
    [InlineData("{\"feeds\": 3}", "must be an array of feeds")]
    [InlineData("[{\"client\":\"a\",\"account\":\"b\",\"brand\":\"c\"}]", "feeds[0] needs \"token\" or \"tokenEnv\"")]
    [InlineData("[{\"client\":\"a\",\"account\":\"b\",\"token\":\"secret-1\"}]", "feeds[0].brand is required")]
    [InlineData("[{\"client\":\"a\",\"account\":\"b\",\"brand\":\"c\",\"tokenEnv\":\"EVENTSTREAM_TEST_UNSET_VARIABLE\"}]", "EVENTSTREAM_TEST_UNSET_VARIABLE is not set")]
    [InlineData("[{\"client\":\"a\",\"account\":\"b\",\"brand\":\"c\",\"token\":\"secret-1\",\"start\":\"yesterday\"}]", "feeds[0].start must be now, beginning or an ISO 8601 time")]
    [InlineData("[{\"client\":\"a\",\"account\":\"b\",\"brand\":\"c\",\"token\":\"secret-1\"},{\"client\":\"a\",\"account\":\"b\",\"brand\":\"c\",\"token\":\"secret-2\"}]", "two feeds are for a/b/c")]
    [InlineData("[{\"client\":\"a\",\"account\":\"b\",\"brand\":\"c\",\"token\":\"secret-1\",\"include\":\"page\"}]", "feeds[0].include must be an array")]
    [InlineData("not json", "is not JSON")]
    public async Task BadFeedsFile_UsageAndExit2_NamingTheProblem_NeverTheToken(string json, string expected)
    {
        (int exitCode, string output, string error) = await RunAsync(json);

        Assert.Equal(2, exitCode);
        Assert.Equal("", output);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Contains("Usage", error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--lease", "0s", "LeaseTime must be at least 1 second")]
    [InlineData("--stream", "a.b", "StreamName must be a stream name")]
    [InlineData("--subject-prefix", "x y", "SubjectPrefix must be one subject token")]
    public async Task BadOptions_UsageAndExit2_NamingTheOption(string option, string value, string expected)
    {
        (int exitCode, _, string error) = await RunAsync("[{\"client\":\"a\",\"account\":\"b\",\"brand\":\"c\",\"token\":\"secret-1\"}]", option, value);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }
}
