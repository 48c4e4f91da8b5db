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
            string[] nats = more.Contains("--nats") ? [] : ["--nats", "nats://127.0.0.1:1"];
            int exitCode = await EventStream.Cli.Program.RunAsync(["relay", .. nats, "--feeds", file, .. more], output, error);
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

    [Theory]
    [InlineData("--nats-cert", "CERT", "--nats-cert and --nats-key go together")]
    [InlineData("--nats-key", "CERT", "--nats-cert and --nats-key go together")]
    [InlineData("--nats-ca", "MISSING", "--nats-ca: ")]
    [InlineData("--nats-nkey", "CERT", "--nats-nkey: ")]
    [InlineData("--nats-nkey", "MISSING", "--nats-nkey: cannot read")]
    [InlineData("--nats-creds", "CERT", "is not a .creds file")]
    [InlineData("--nats-user", "relay", "--nats-user needs EVENTSTREAM_NATS_PASSWORD")]
    public async Task BadNatsOptions_UsageAndExit2_NamingTheOption(string option, string value, string expected)
    {
        string file = Path.Combine(Path.GetTempPath(), $"not-a-key-{Guid.NewGuid():N}.pem");
        File.WriteAllText(file, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n");
        try
        {
            string path = value switch { "CERT" => file, "MISSING" => file + ".missing", _ => value };
            (int exitCode, string output, string error) = await RunAsync("[{\"client\":\"a\",\"account\":\"b\",\"brand\":\"c\",\"token\":\"secret-1\"}]", option, path);

            Assert.Equal(2, exitCode);
            Assert.Equal("", output);
            Assert.Contains(expected, error, StringComparison.Ordinal);
            Assert.Contains("Usage", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task TwoWaysToAuthenticate_UsageAndExit2_NamingBoth()
    {
        string seed = Path.Combine(Path.GetTempPath(), $"nkey-{Guid.NewGuid():N}.nk");
        using (var pair = NATS.NKeys.KeyPair.CreatePair(NATS.NKeys.PrefixByte.User))
        {
            File.WriteAllText(seed, pair.GetSeed());
        }

        try
        {
            (int exitCode, _, string error) = await RunAsync("[{\"client\":\"a\",\"account\":\"b\",\"brand\":\"c\",\"token\":\"secret-1\"}]", "--nats", "nats://relay:pw-in-url-5a@127.0.0.1:1", "--nats-nkey", seed);

            Assert.Equal(2, exitCode);
            Assert.Contains("give one way to authenticate to NATS, not user 'relay' in the --nats URL and --nats-nkey", error, StringComparison.Ordinal);
            Assert.DoesNotContain("pw-in-url-5a", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(seed);
        }
    }

    [Fact]
    public async Task AMistypedOption_UsageAndExit2_TheUrlsItEchoesRedacted()
    {
        (int exitCode, _, string error) = await RunAsync("[{\"client\":\"a\",\"account\":\"b\",\"brand\":\"c\",\"token\":\"secret-1\"}]", "--natz", "nats://relay:pw-typo-31@127.0.0.1:4222");

        Assert.Equal(2, exitCode);
        Assert.Contains("nats://relay:***@127.0.0.1:4222", error, StringComparison.Ordinal);
        Assert.DoesNotContain("pw-typo-31", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://relay:pw-bad-url-77@127.0.0.1:4222")]
    [InlineData("nats://relay:pw-bad-url-77@")]
    public async Task ANatsUrlThatIsNot_UsageAndExit2_NamingTheOption_NeverThePassword(string url)
    {
        (int exitCode, _, string error) = await RunAsync("[{\"client\":\"a\",\"account\":\"b\",\"brand\":\"c\",\"token\":\"secret-1\"}]", "--nats", url);

        Assert.Equal(2, exitCode);
        Assert.Contains("--nats: ", error, StringComparison.Ordinal);
        Assert.Contains("is not a NATS URL", error, StringComparison.Ordinal);
        Assert.DoesNotContain("pw-bad-url-77", error, StringComparison.Ordinal);
    }
}
