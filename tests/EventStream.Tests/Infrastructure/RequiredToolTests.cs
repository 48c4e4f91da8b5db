namespace EventStream.Tests.Infrastructure;

public class RequiredToolTests
{
    [Fact]
    public void Missing_FailsWithOneLineSayingWhatToInstall()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => RequiredTool.Find("no-such-tool-eventstream", "no-such-package"));

        Assert.Equal("no-such-tool-eventstream is not installed: run `bash .ci/test` (it installs what the tests need) or `apt-get install -y no-such-package`.", ex.Message);
    }

    [Fact]
    public void Present_IsFoundByItsFullPath()
    {
        string path = RequiredTool.Find("sh", "dash");

        Assert.True(Path.IsPathRooted(path) && File.Exists(path), path);
    }
}
