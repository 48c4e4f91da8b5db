namespace EventStream.Simulator.Internal;

/// <summary>A product of the simulated shop's catalogue.</summary>
internal sealed record ShopProduct(string Id, string Sku, string Name, string Brand, string Category, string[] Variants, double Price, string Slug);

/// <summary>An email/SMS campaign: its name and the subject line its emails carry.</summary>
internal sealed record ShopCampaign(string Name, string Subject, string Source, string Medium);

/// <summary>A page of the shop: its name, path and title.</summary>
internal sealed record ShopPage(string Name, string Path, string Title);

/// <summary>An address a customer might give.</summary>
internal sealed record ShopAddress(string Street, string City, string State, string PostalCode, string Country);

/// <summary>
/// Small vocabularies that make synthetic values read like a shop's traffic (an outdoor clothing shop): a catalogue whose
/// product fields agree with one another, campaigns with their subject lines, pages, referrers, coupons, search terms.
/// </summary>
internal static class ShopVocabulary
{
    public const string Host = "https://shop.example.com";

    public static readonly string[] Categories = ["Jackets", "Footwear", "Knitwear", "Trousers", "Base Layers", "Bags", "Accessories", "Tents", "Kids"];

    public static readonly ShopProduct[] Products = MakeProducts();

    public static readonly ShopCampaign[] Campaigns =
    [
        new("Spring Sale", "Spring Sale: up to 40% off jackets", "newsletter", "email"),
        new("New Arrivals", "Just landed: this season's walking boots", "newsletter", "email"),
        new("Abandoned Basket", "You left something in your basket", "lifecycle", "email"),
        new("Welcome Series", "Welcome! Here's 10% off your first order", "lifecycle", "email"),
        new("Back In Stock", "It's back: the Ridge Down Jacket", "lifecycle", "email"),
        new("Weekend Flash Sale", "48 hours only: 25% off footwear", "newsletter", "email"),
        new("Loyalty Rewards", "You've earned 500 points", "loyalty", "email"),
        new("Order Follow-up", "How was your order? Leave a review", "lifecycle", "email"),
        new("Free Delivery Week", "Free delivery on everything this week", "newsletter", "sms"),
        new("Winter Layers", "Layer up: base layers from 18 GBP", "newsletter", "email"),
    ];

    public static readonly ShopPage[] Pages =
    [
        new("Home", "/", "Northfield Outdoor | Clothing & Gear"),
        new("Category", "/c/jackets", "Jackets | Northfield Outdoor"),
        new("Category", "/c/footwear", "Footwear | Northfield Outdoor"),
        new("Category", "/c/knitwear", "Knitwear | Northfield Outdoor"),
        new("Sale", "/sale", "Sale | Northfield Outdoor"),
        new("Search", "/search", "Search results | Northfield Outdoor"),
        new("Basket", "/basket", "Your basket | Northfield Outdoor"),
        new("Checkout", "/checkout", "Checkout | Northfield Outdoor"),
        new("Account", "/account", "My account | Northfield Outdoor"),
        new("Stores", "/stores", "Find a store | Northfield Outdoor"),
        new("Delivery", "/help/delivery", "Delivery & returns | Northfield Outdoor"),
    ];

    public static readonly string[] Referrers =
    [
        "https://www.google.com/", "https://www.google.co.uk/", "https://www.bing.com/", "https://duckduckgo.com/",
        "https://www.instagram.com/", "https://www.facebook.com/", "https://www.pinterest.co.uk/", "https://www.tiktok.com/",
        "https://mail.google.com/", "https://outlook.live.com/", Host + "/", Host + "/c/jackets", Host + "/search",
    ];

    public static readonly string[] SearchTerms =
    [
        "waterproof jacket", "walking boots", "down jacket", "merino base layer", "rucksack 30l", "fleece", "kids wellies",
        "gloves", "trail running shoes", "2 person tent", "beanie", "gaiters",
    ];

    public static readonly string[] Coupons = ["SPRING10", "WELCOME15", "FREESHIP", "STUDENT20", "LOYAL5", "FLASH25"];

    public static readonly ShopAddress[] Addresses =
    [
        new("12 Market Street", "Manchester", "Greater Manchester", "M1 1AE", "GB"),
        new("4 Castle Terrace", "Edinburgh", "City of Edinburgh", "EH1 2DP", "GB"),
        new("27 Park Row", "Leeds", "West Yorkshire", "LS1 5HD", "GB"),
        new("88 Gloucester Road", "Bristol", "Bristol", "BS7 8BN", "GB"),
        new("3 Victoria Square", "Birmingham", "West Midlands", "B1 1BD", "GB"),
        new("150 Upper Street", "London", "Greater London", "N1 1RA", "GB"),
        new("9 Quay Street", "Galway", "Galway", "H91 X2Y3", "IE"),
        new("41 Bold Street", "Liverpool", "Merseyside", "L1 4EU", "GB"),
    ];

    /// <summary>Values for string properties by name, where any of a few will do.</summary>
    public static readonly Dictionary<string, string[]> ByName = new(StringComparer.Ordinal)
    {
        ["affiliation"] = ["Online Store", "iOS App", "Android App", "Manchester Store", "Edinburgh Store"],
        ["payment_method"] = ["Visa", "Mastercard", "PayPal", "Apple Pay", "Google Pay", "Klarna"],
        ["shipping_method"] = ["Standard Delivery", "Next Day Delivery", "Click & Collect", "Nominated Day"],
        ["coupon_name"] = ["Spring 10% off", "Welcome 15% off", "Free delivery", "Student 20% off"],
        ["list_name"] = ["Jackets", "New In", "Best Sellers", "Sale", "Recommended for you"],
        ["wishlist_name"] = ["My wishlist", "Birthday", "Winter trip", "Gift ideas"],
        ["share_via"] = ["email", "whatsapp", "facebook", "copy_link"],
        ["share_message"] = ["Thought you'd like this", "What do you think of this one?", "Found the jacket I mentioned"],
        ["review_body"] = ["Warm, light and properly waterproof.", "Fits true to size, comfortable from day one.", "Good value, though the sleeves run long."],
        ["reason"] = ["Changed my mind", "Arrived too late", "Wrong size", "Found it cheaper elsewhere"],
        ["rating"] = ["5", "4", "3"],
        ["medium"] = ["email", "cpc", "social", "organic", "sms", "affiliate"],
        ["source"] = ["google", "newsletter", "instagram", "facebook", "bing", "awin"],
        ["channel"] = ["email", "sms", "push", "post"],
        ["gender"] = ["female", "male", "non-binary"],
        ["industry"] = ["Retail", "Education", "Healthcare", "Construction", "Hospitality"],
        ["plan"] = ["Free", "Plus", "Premium"],
        ["trial_plan_name"] = ["Plus (30-day trial)", "Premium (14-day trial)"],
        ["role"] = ["Admin", "Buyer", "Viewer"],
        ["invitee_role"] = ["Buyer", "Viewer"],
        ["account_name"] = ["Northfield Trade", "Peak Scouts Group", "Hillside School"],
        ["method"] = ["email", "google", "apple", "facebook"],
        ["type"] = ["newsletter", "product_updates", "offers"],
        ["action"] = ["subscribe", "unsubscribe", "update"],
        ["provider"] = ["Google Ads", "Meta", "AppsFlyer"],
        ["ad_creative"] = ["spring_jackets_carousel", "boots_video_15s", "sale_banner_v2"],
        ["ad_group"] = ["Jackets - Brand", "Footwear - Generic", "Remarketing"],
        ["creative"] = ["hero_banner", "sale_tile", "new_in_strip"],
        ["content"] = ["hero", "footer_link", "product_tile"],
        ["description"] = ["Keen hillwalker", "Buys for the family", "Trade customer"],
        ["title"] = ["Mr", "Mrs", "Ms", "Dr", "Mx"],
        ["version"] = ["5.4.0", "5.4.1", "5.5.0"],
        ["previous_version"] = ["5.3.2", "5.4.0"],
        ["build"] = ["5400", "5410", "5500"],
        ["previous_build"] = ["5320", "5400"],
        ["referring_application"] = ["Instagram", "Gmail", "Safari", "WhatsApp"],
        ["genre"] = ["Outdoors", "How-to", "Adventure"],
        ["program"] = ["Trail Guides", "Kit Check", "Summit Stories"],
        ["season"] = ["1", "2", "3"],
        ["episode"] = ["1", "2", "3", "4", "5"],
        ["publisher"] = ["Northfield Outdoor"],
        ["quality"] = ["480p", "720p", "1080p"],
        ["video_player"] = ["html5", "youtube", "vimeo"],
        ["position"] = ["top", "middle", "bottom"],
        ["startupTime"] = ["0.8", "1.2", "2.4"],
        ["droppedFrames"] = ["0", "2", "5"],
        ["value"] = ["10", "25", "50"],
    };

    private static ShopProduct[] MakeProducts()
    {
        (string Name, string Category, double Price, string[] Variants)[] lines =
        [
            ("Ridge Down Jacket", "Jackets", 189.00, ["Black / S", "Black / M", "Navy / L", "Olive / M"]),
            ("Stormline Waterproof Jacket", "Jackets", 129.00, ["Red / M", "Blue / L", "Black / XL"]),
            ("Fell Softshell", "Jackets", 89.00, ["Grey / M", "Black / L"]),
            ("Trailhead Walking Boots", "Footwear", 139.00, ["UK 7", "UK 8", "UK 9", "UK 10"]),
            ("Scree Trail Running Shoes", "Footwear", 110.00, ["UK 6", "UK 8", "UK 11"]),
            ("Harbour Wellingtons", "Footwear", 45.00, ["UK 4", "UK 6", "UK 8"]),
            ("Merino Crew Jumper", "Knitwear", 75.00, ["Oatmeal / M", "Charcoal / L"]),
            ("Cable Knit Beanie", "Accessories", 22.00, ["Mustard", "Navy", "Grey"]),
            ("Touchscreen Gloves", "Accessories", 18.00, ["S/M", "L/XL"]),
            ("Ramble Stretch Trousers", "Trousers", 65.00, ["32R", "34R", "34L", "36R"]),
            ("Merino Base Layer Top", "Base Layers", 48.00, ["S", "M", "L"]),
            ("Summit 30L Rucksack", "Bags", 95.00, ["Black", "Teal"]),
            ("Daypack 20L", "Bags", 55.00, ["Grey", "Orange"]),
            ("Two-Person Dome Tent", "Tents", 249.00, ["Green"]),
            ("Kids Puddle Suit", "Kids", 32.00, ["3-4 yrs", "5-6 yrs", "7-8 yrs"]),
            ("Kids Fleece", "Kids", 24.00, ["Pink / 5-6", "Blue / 7-8"]),
        ];
        string[] brands = ["Northfield", "Northfield", "Cairn & Co", "Alder"];
        var products = new ShopProduct[lines.Length];
        for (int i = 0; i < lines.Length; i++)
        {
            string slug = lines[i].Name.ToLowerInvariant().Replace(' ', '-').Replace("/", "", StringComparison.Ordinal);
            string number = (1001 + (i * 37)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            products[i] = new ShopProduct("P" + number, "NF-" + number, lines[i].Name, brands[i % brands.Length], lines[i].Category, lines[i].Variants, lines[i].Price, slug);
        }

        return products;
    }
}
