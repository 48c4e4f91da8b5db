using System.Text.Json;
using System.Text.RegularExpressions;
using EventStream.Simulator;
using EventStream.Simulator.Internal;

namespace EventStream.Tests.Simulator;

/// <summary>Synthetic events: deterministic per seed, and values that read as a shop's data.</summary>
public partial class SyntheticEventsTests
{
    private static readonly DateTimeOffset T0 = new(2024, 5, 14, 9, 0, 0, TimeSpan.Zero);

    private static List<JsonElement> Make(int seed, int count, string? action = null)
    {
        var events = new SyntheticEvents(seed);
        return [.. Enumerable.Range(0, count).Select(i => JsonDocument.Parse(events.Create(T0.AddMilliseconds(i), action: action).Json).RootElement.Clone())];
    }

    private static JsonElement Properties(JsonElement e) => e.GetProperty("rawData").GetProperty("properties");

    [Fact]
    public void Create_SameSeed_SameEvents_OtherSeed_Others()
    {
        var a = new SyntheticEvents(7);
        var b = new SyntheticEvents(7);
        var c = new SyntheticEvents(8);

        string[] first = [.. Enumerable.Range(0, 200).Select(i => System.Text.Encoding.UTF8.GetString(a.Create(T0.AddMilliseconds(i)).Json))];
        string[] second = [.. Enumerable.Range(0, 200).Select(i => System.Text.Encoding.UTF8.GetString(b.Create(T0.AddMilliseconds(i)).Json))];
        string[] other = [.. Enumerable.Range(0, 200).Select(i => System.Text.Encoding.UTF8.GetString(c.Create(T0.AddMilliseconds(i)).Json))];

        Assert.Equal(first, second);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Create_NoStringValueIsItsOwnPropertyNameAndANumber()
    {
        // Before: "category":"category 36", "referrer":"referrer 87", "email_subject":"email_subject 24".
        string[] placeholders = [.. Make(1, 5_000).SelectMany(e => Placeholder().Matches(e.GetRawText()).Select(m => m.Value)).Distinct()];

        Assert.Empty(placeholders);
    }

    [Fact]
    public void Create_ProductFieldsAgree_WithTheCatalogue()
    {
        int checkedCount = 0;
        foreach (JsonElement e in Make(2, 200, "product_viewed"))
        {
            JsonElement p = Properties(e);
            ShopProduct? product = p.TryGetProperty("sku", out JsonElement sku) ? Assert.Single(ShopVocabulary.Products, x => x.Sku == sku.GetString())
                : p.TryGetProperty("product_id", out JsonElement id) ? Assert.Single(ShopVocabulary.Products, x => x.Id == id.GetString())
                : null;
            if (product is null)
            {
                continue; // both are optional in the plan
            }

            checkedCount++;
            if (p.TryGetProperty("name", out JsonElement name))
            {
                Assert.Equal(product.Name, name.GetString());
            }

            if (p.TryGetProperty("category", out JsonElement category))
            {
                Assert.Equal(product.Category, category.GetString());
            }

            if (p.TryGetProperty("price", out JsonElement price))
            {
                Assert.Equal(product.Price, price.GetDouble());
            }
        }

        Assert.InRange(checkedCount, 150, 200);
    }

    [Fact]
    public void Create_EmailSubjectsAndPageReferrers_ComeFromTheVocabularies()
    {
        string?[] subjects = [.. Make(3, 300, "email_sent").Select(e => Properties(e).TryGetProperty("email_subject", out JsonElement s) ? s.GetString() : null).Where(s => s is not null)];
        string?[] referrers = [.. Make(4, 300, "page").Select(e => Properties(e).TryGetProperty("referrer", out JsonElement r) ? r.GetString() : null).Where(r => r is not null)];

        Assert.NotEmpty(subjects);
        Assert.NotEmpty(referrers);
        Assert.All(subjects, s => Assert.Contains(s, ShopVocabulary.Campaigns.Select(c => c.Subject)));
        Assert.All(referrers, r => Assert.Contains(r, ShopVocabulary.Referrers));
        Assert.True(subjects.Distinct().Count() > 3, "subjects vary");
    }

    [GeneratedRegex("\"([A-Za-z_]+)\":\"\\1 [0-9]+\"")]
    private static partial Regex Placeholder();
}
