using EventStream.Cli;

namespace EventStream.Tests.Cli;

/// <summary>The one redaction helper the relay's output goes through: URLs' user information and known secrets masked.</summary>
public class RedactorTests
{
    [Theory]
    [InlineData("cannot reach NATS at nats://u:WRONG@127.0.0.1:4222 (x)", "cannot reach NATS at nats://u:***@127.0.0.1:4222 (x)")]
    [InlineData("tls://relay:p%40ss@nats.example:4443", "tls://relay:***@nats.example:4443")]
    [InlineData("nats://s3cr3t-token@127.0.0.1:4222", "nats://***@127.0.0.1:4222")]
    [InlineData("nats://a:1@h1:4222,nats://b:2@h2:4222", "nats://a:***@h1:4222,nats://b:***@h2:4222")]
    [InlineData("'nats://u:pw@h:1'", "'nats://u:***@h:1'")]
    [InlineData("nats://127.0.0.1:4222 and mail me@example.com", "nats://127.0.0.1:4222 and mail me@example.com")]
    public void RedactUrls_MasksThePasswordOrTheToken_KeepsTheRest(string text, string expected)
        => Assert.Equal(expected, Redactor.RedactUrls(text));

    [Fact]
    public void Redact_MasksEverySecretItKnows_AlsoUrlEscaped_AndUrls()
    {
        var redactor = new Redactor(["p@ss word", "SUAB1234SEED", null, ""]);

        string redacted = redactor.Redact("pw p@ss word, escaped p%40ss%20word, seed SUAB1234SEED, url nats://u:other@h:1");

        Assert.Equal("pw ***, escaped ***, seed ***, url nats://u:***@h:1", redacted);
    }

    [Fact]
    public void RedactingWriter_ASecretSplitAcrossWrites_IsStillMasked_WholeLinesOnly()
    {
        var inner = new StringWriter();
        using (var writer = new RedactingWriter(inner, new Redactor(["hunter2-secret"])))
        {
            writer.Write("password hun");
            writer.Flush();
            Assert.Equal("", inner.ToString()); // the line is not complete: nothing passed on yet
            writer.Write("ter2-sec");
            writer.Write('r');
            writer.WriteLine("et here");
            writer.Write("tail hunter2-secret");
        }

        Assert.Equal($"password *** here{Environment.NewLine}tail ***", inner.ToString());
    }
}
