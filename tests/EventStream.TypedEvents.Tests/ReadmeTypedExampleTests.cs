using EventStream.Parsing;
using EventStream.Typed;

namespace EventStream.TypedEvents.Tests;

/// <summary>Runs the README's typed-events example (the region below is checked against README.md by EventStream.Tests).</summary>
public class ReadmeTypedExampleTests
{
    [Fact]
    public async Task ReadmeExample_DecodesTheSamplePage()
    {
        var console = new StringWriter();
        string pagePath = Path.Combine(AppContext.BaseDirectory, "data", "sample-page.json");

        await RunAsync(console, pagePath, CancellationToken.None);

        Assert.Equal(
            [
                "order NW-ORD-58213: 45.5 Gbp, 2 products",
                "sms 043ee98b-bc6a-4718-9c46-f3a9155dc0e2 sent",
            ],
            console.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    private static async Task RunAsync(TextWriter console, string pagePath, CancellationToken cancellationToken)
    {
        #region README: typed
        EventCatalog catalog = EventCatalog.Combine(ShopEvents.Catalog, IntileryEvents.Catalog)
            .WithViolationHandler(violation => console.WriteLine($"plan violation: {violation}"));

        await using FileStream file = File.OpenRead(pagePath);
        EventPage page = await EventPage.ParseAsync(file, catalog, cancellationToken);
        foreach (IntileryEvent e in page.Events)
        {
            switch (e)
            {
                case ShopEvents.OrderCompleted order:
                    console.WriteLine($"order {order.OrderId}: {order.Revenue} {order.Currency}, {order.Products.Count} products");
                    break;
                case IntileryEvents.SmsSent sms:
                    console.WriteLine($"sms {sms.SmsId} sent");
                    break;
            }
        }
        #endregion
    }
}
