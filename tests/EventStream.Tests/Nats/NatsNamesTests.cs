using EventStream.Nats;

namespace EventStream.Tests.Nats;

public class NatsNamesTests
{
    [Theory]
    [InlineData("order_completed", "order_completed")]
    [InlineData("DEMO-2", "DEMO-2")]
    [InlineData("a.b", "a=2Eb")]
    [InlineData("*", "=2A")]
    [InlineData(">", "=3E")]
    [InlineData("two words", "two=20words")]
    [InlineData("a=b", "a=3Db")]
    [InlineData("café", "caf=C3=A9")]
    [InlineData("", "=")]
    public void Escape_KeepsPlainCharacters_AndHexEncodesTheRest(string value, string token) => Assert.Equal(token, NatsNames.Escape(value));

    [Fact]
    public void Subject_HasOneTokenPerPart_AndDistinctIdsNeverShareASubject()
    {
        Assert.Equal("intilery.acme.eu.shop=2Euk.page", NatsNames.Subject("intilery", "acme", "eu", "shop.uk", "page"));
        string[] ids = ["a.b", "a=2Eb", "a_b", "a b", "a*b", "a>b", "a", "=", ""];
        Assert.Equal(ids.Length, ids.Select(NatsNames.Escape).Distinct().Count());
        Assert.All(ids.Select(NatsNames.Escape), t => Assert.DoesNotContain(t, c => c is '.' or '*' or '>' or ' ' || c > 127));
    }
}
