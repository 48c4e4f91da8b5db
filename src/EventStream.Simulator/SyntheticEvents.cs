using System.Buffers;
using System.Globalization;
using System.Text.Json;

using EventStream.Simulator.Internal;

namespace EventStream.Simulator;

/// <summary>
/// Makes realistic Intilery events: actions from the standard tracking plan, property values that fit each
/// event's schema, and a stable pool of customers. Deterministic for a seed.
/// </summary>
public sealed class SyntheticEvents
{
    private static readonly string[] s_firstNames = ["Olivia", "Liam", "Amelia", "Noah", "Isla", "Oliver", "Ava", "George", "Mia", "Arthur", "Freya", "Leo", "Grace", "Harry", "Lily", "Oscar"];
    private static readonly string[] s_lastNames = ["Hart", "Patel", "Jones", "Okafor", "Nowak", "Murphy", "Chen", "Garcia", "Evans", "Kowalski", "Silva", "Walker"];
    private static readonly string[] s_companies = ["Peak Scouts Group", "Hillside School", "Brightwater Adventures", "Northfield Trade"];
    private static readonly double[] s_discounts = [0, 0, 5, 10, 15];
    private static readonly double[] s_shipping = [0, 3.95, 4.95, 6.95];
    private static readonly string[] s_userAgents =
    [
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36",
    ];

    // Weights that make a feed look like a shop's: page views and product views dominate.
    private static readonly Dictionary<string, int> s_weights = new()
    {
        ["page"] = 30, ["product_viewed"] = 20, ["identify"] = 6, ["product_list_viewed"] = 8, ["product_added"] = 6,
        ["cart_viewed"] = 4, ["checkout_started"] = 3, ["order_completed"] = 3, ["email_sent"] = 5, ["email_opened"] = 4,
        ["email_link_clicked"] = 2, ["sms_sent"] = 2, ["sms_delivered"] = 2, ["products_searched"] = 4, ["signed_in"] = 3,
    };

    // Each planned event's properties schema, read once into what writing a value needs (walking the JSON per event cost
    // most of an event's 10 µs).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<PlannedEvent, Shape> s_shapes = new();

    private readonly Random _random;

    // Property values draw from a sequence of their own, so that what the vocabularies consume never shifts which
    // actions, customers, ids and times a seed gives.
    private readonly Random _values;
    private readonly TrackingPlan _plan;
    private readonly Customer[] _customers;
    private readonly int[] _cumulativeWeights;
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Lock _lock = new();

    /// <summary>Creates a generator.</summary>
    /// <param name="seed">The seed: the same seed gives the same events.</param>
    /// <param name="clientId">The <c>clientId</c> written into events.</param>
    /// <param name="accountId">The <c>accountId</c> written into events.</param>
    /// <param name="brandId">The <c>brandId</c> written into events.</param>
    /// <param name="customers">How many distinct customers to draw from.</param>
    public SyntheticEvents(int seed = 1, string clientId = "demo", string accountId = "demo", string brandId = "DEMO", int customers = 500)
    {
        _random = new Random(seed);
        _values = new Random(unchecked((seed * 31) + 7));
        _plan = TrackingPlan.Standard;
        ClientId = clientId;
        AccountId = accountId;
        BrandId = brandId;
        _customers = new Customer[Math.Max(1, customers)];
        for (int i = 0; i < _customers.Length; i++)
        {
            string first = Pick(s_firstNames), last = Pick(s_lastNames);
            _customers[i] = new Customer(
                NewGuid(),
                "CU-" + _random.Next(100000, 999999).ToString(CultureInfo.InvariantCulture),
                $"{first.ToLowerInvariant()}.{last.ToLowerInvariant()}{i}@example.com",
                first,
                last,
                $"203.0.113.{_random.Next(1, 255)}",
                Pick(s_userAgents));
        }

        _cumulativeWeights = new int[_plan.Events.Count];
        int sum = 0;
        for (int i = 0; i < _plan.Events.Count; i++)
        {
            sum += s_weights.GetValueOrDefault(_plan.Events[i].Action, 1);
            _cumulativeWeights[i] = sum;
        }
    }

    /// <summary>The <c>clientId</c> written into events.</summary>
    public string ClientId { get; }

    /// <summary>The <c>accountId</c> written into events.</summary>
    public string AccountId { get; }

    /// <summary>The <c>brandId</c> written into events.</summary>
    public string BrandId { get; }

    /// <summary>The actions of the standard tracking plan.</summary>
    public IEnumerable<string> Actions => _plan.Events.Select(e => e.Action);

    /// <summary>Makes one event.</summary>
    /// <param name="eventTime">When it happened (truncated to the millisecond, as the API stores it).</param>
    /// <param name="receivedTime">When the server got it; by default a little after <paramref name="eventTime"/>.</param>
    /// <param name="visibleAt">When queries see it; by default at <paramref name="receivedTime"/>.</param>
    /// <param name="action">The action; by default drawn from the plan with realistic weights.</param>
    /// <returns>The event.</returns>
    public SimulatedEvent Create(DateTimeOffset eventTime, DateTimeOffset? receivedTime = null, DateTimeOffset? visibleAt = null, string? action = null)
    {
        lock (_lock)
        {
            eventTime = TruncateToMs(eventTime);
            DateTimeOffset received = TruncateToMs(receivedTime ?? eventTime.AddMilliseconds(_random.Next(50, 800)));
            PlannedEvent planned = action is null ? PickEvent() : _plan.Find(action) ?? new PlannedEvent(action, action, null);
            string eventId = NewGuid();
            Customer customer = Pick(_customers);
            _buffer.ResetWrittenCount();
            using (var writer = new Utf8JsonWriter(_buffer, WriterOptions))
            {
                WriteEvent(writer, planned, customer, eventId, eventTime, received);
            }

            return new SimulatedEvent(eventId, planned.Action, eventTime, received, visibleAt ?? received, _buffer.WrittenSpan.ToArray());
        }
    }

    /// <summary>A page body as the API sends it: <c>{"data":[…],"total":N}</c>.</summary>
    /// <param name="events">The page's events.</param>
    /// <param name="total">The value of <c>total</c>; omitted when <see langword="null"/>.</param>
    /// <returns>The UTF-8 JSON body.</returns>
    public static byte[] Page(IReadOnlyList<SimulatedEvent> events, long? total = null)
    {
        ArgumentNullException.ThrowIfNull(events);
        var body = new ArrayBufferWriter<byte>(events.Sum(e => e.Json.Length + 1) + 64);
        body.Write("{\"data\":["u8);
        for (int i = 0; i < events.Count; i++)
        {
            if (i > 0)
            {
                body.Write(","u8);
            }

            body.Write(events[i].Json);
        }

        body.Write("]"u8);
        if (total is { } t)
        {
            body.Write(",\"total\":"u8);
            body.Write(System.Text.Encoding.UTF8.GetBytes(t.ToString(CultureInfo.InvariantCulture)));
        }

        body.Write("}"u8);
        return body.WrittenSpan.ToArray();
    }

    // The API's JSON is not HTML-escaped ('+', '<', '&' and non-ASCII letters appear as themselves).
    internal static JsonWriterOptions WriterOptions { get; } = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    internal static DateTimeOffset TruncateToMs(DateTimeOffset time)
        => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerMillisecond), TimeSpan.Zero);

    internal static string FormatTime(DateTimeOffset time)
        => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>A random number in [0, 1) from this generator's sequence.</summary>
    internal double NextDouble()
    {
        lock (_lock)
        {
            return _random.NextDouble();
        }
    }

    internal int Next(int minValue, int maxValue)
    {
        lock (_lock)
        {
            return _random.Next(minValue, maxValue);
        }
    }

    private void WriteEvent(Utf8JsonWriter w, PlannedEvent planned, Customer c, string eventId, DateTimeOffset eventTime, DateTimeOffset received)
    {
        w.WriteStartObject();
        w.WriteString("id", c.Id);
        w.WriteString("externalId", c.ExternalId);
        w.WriteString("email", c.Email);
        w.WriteString("eventId", eventId);
        w.WriteString("eventTime", FormatTime(eventTime));
        w.WriteString("receivedTime", FormatTime(received));
        w.WriteString("eventAction", planned.Action);
        w.WriteString("clientId", ClientId);
        w.WriteString("accountId", AccountId);
        w.WriteString("brandId", BrandId);
        w.WriteString("customerId", c.Id);
        w.WriteString("userId", c.Id);
        w.WriteString("source", "SEGMENT_API");
        w.WriteStartObject("rawData");
        w.WriteString("userId", c.Id);
        string kind = planned.Action is "identify" or "page" or "screen" ? planned.Action : "track";
        w.WriteString("action", kind);
        w.WriteString("event", planned.Name);
        w.WriteStartObject("context");
        w.WriteString("ip", c.Ip);
        w.WriteString("user_agent", c.UserAgent);
        w.WriteStartObject("traits");
        w.WriteString("email", c.Email);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WritePropertyName(kind == "identify" ? "traits" : "properties");
        if (planned.Properties is { } schema)
        {
            WriteValue(w, s_shapes.GetValue(planned, e => Shape.Compile(e.Properties!.Value, "properties", depth: 0)), c, new Scope(ScopeKind.Customer));
        }
        else
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }

        if (planned.Action.StartsWith("email_", StringComparison.Ordinal) || planned.Action.StartsWith("sms_", StringComparison.Ordinal))
        {
            w.WriteString("sendType", planned.Action.StartsWith("sms_", StringComparison.Ordinal) ? "sms" : "email");
        }

        w.WriteString("timestamp", FormatTime(eventTime));
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void WriteValue(Utf8JsonWriter w, Shape shape, Customer c, Scope scope)
    {
        if (shape.Enum is { } values)
        {
            w.WriteRawValue(values[_values.Next(values.Length)], skipInputValidation: true);
            return;
        }

        switch (TypeOf(shape))
        {
            case "object":
                w.WriteStartObject();
                if (shape.Properties is { } properties)
                {
                    var inner = new Scope(shape.Kind);
                    foreach (ShapeProperty p in properties)
                    {
                        if (!p.Required && _values.Next(5) == 0)
                        {
                            continue; // optional properties are sometimes left out
                        }

                        w.WritePropertyName(p.Name);
                        WriteValue(w, p.Shape, c, inner);
                    }
                }

                w.WriteEndObject();
                break;
            case "array":
                w.WriteStartArray();
                int count = _values.Next(1, 4);
                for (int i = 0; i < count; i++)
                {
                    if (shape.Items is { } items)
                    {
                        WriteValue(w, items, c, scope);
                    }
                    else
                    {
                        w.WriteStringValue("item" + i.ToString(CultureInfo.InvariantCulture));
                    }
                }

                w.WriteEndArray();
                break;
            case "integer":
                w.WriteNumberValue(shape.Name switch
                {
                    "position" => _values.Next(1, 25),
                    "quantity" or "step" => _values.Next(1, 4),
                    _ => _values.Next(0, 1000),
                });
                break;
            case "number":
                w.WriteNumberValue(NumberFor(shape.Name, scope));
                break;
            case "boolean":
                w.WriteBooleanValue(_values.Next(2) == 0);
                break;
            case "null":
                w.WriteNullValue();
                break;
            default:
                WriteString(w, shape, c, scope);
                break;
        }
    }

    private void WriteString(Utf8JsonWriter w, Shape shape, Customer c, Scope scope)
    {
        string value = shape.Format switch
        {
            "date-time" => FormatTime(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(_values.Next(0, 500_000))),
            "uuid" => NewGuid(_values),
            _ => StringFor(shape.Name, c, scope),
        };
        w.WriteStringValue(value);
    }

    // A value that reads as a shop's data: from the object's product, page, campaign or address where it has one, so that
    // an event's fields agree (a product's name, sku, category and price; an email's campaign and subject line).
    private string StringFor(string name, Customer c, Scope scope)
    {
        switch (scope.Kind)
        {
            case ScopeKind.Product:
                ShopProduct product = scope.Product ??= PickValue(ShopVocabulary.Products);
                switch (name)
                {
                    case "product_id": return product.Id;
                    case "sku": return product.Sku;
                    case "name": return product.Name;
                    case "brand": return product.Brand;
                    case "category": return product.Category;
                    case "variant": return PickValue(product.Variants);
                    case "url": return $"{ShopVocabulary.Host}/p/{product.Slug}";
                    case "image_url": return $"{ShopVocabulary.Host}/images/{product.Slug}.jpg";
                }

                break;
            case ScopeKind.Page:
                ShopPage page = scope.Page ??= PickValue(ShopVocabulary.Pages);
                switch (name)
                {
                    case "name": return page.Name;
                    case "path": return page.Path;
                    case "title": return page.Title;
                    case "url": return ShopVocabulary.Host + page.Path;
                    case "search": return page.Name == "Search" ? "?q=" + Uri.EscapeDataString(PickValue(ShopVocabulary.SearchTerms)) : "";
                }

                break;
            case ScopeKind.Campaign:
                ShopCampaign campaign = scope.Campaign ??= PickValue(ShopVocabulary.Campaigns);
                switch (name)
                {
                    case "name" or "campaign_name": return campaign.Name;
                    case "email_subject": return campaign.Subject;
                    case "source": return campaign.Source;
                    case "medium": return campaign.Medium;
                }

                break;
            case ScopeKind.Address:
                ShopAddress address = scope.Address ??= PickValue(ShopVocabulary.Addresses);
                switch (name)
                {
                    case "street": return address.Street;
                    case "city": return address.City;
                    case "state": return address.State;
                    case "postalCode": return address.PostalCode;
                    case "country": return address.Country;
                }

                break;
            case ScopeKind.Company when name == "name":
                return PickValue(s_companies);
        }

        return name switch
        {
            "email" or "recipient" or "invitee_email" => name == "email" ? c.Email : PickValue(_customers).Email,
            "firstName" or "first_name" => c.FirstName,
            "lastName" or "last_name" => c.LastName,
            "invitee_first_name" => PickValue(s_firstNames),
            "invitee_last_name" => PickValue(s_lastNames),
            "name" => $"{c.FirstName} {c.LastName}",
            "username" => $"{c.FirstName.ToLowerInvariant()}{c.LastName.ToLowerInvariant()}{_values.Next(1, 100)}",
            "currency" => "GBP",
            "url" or "website" or "link_url" => ShopVocabulary.Host + PickValue(ShopVocabulary.Pages).Path,
            "image_url" or "avatar" => $"{ShopVocabulary.Host}/images/avatars/{_values.Next(1, 5000)}.jpg",
            "path" => PickValue(ShopVocabulary.Pages).Path,
            "referrer" => PickValue(ShopVocabulary.Referrers),
            "phone" => $"+4477009{_values.Next(10000, 99999)}",
            "search" or "string" or "query" or "keywords" => PickValue(ShopVocabulary.SearchTerms),
            "category" => PickValue(ShopVocabulary.Categories),
            "brand" or "sku" or "variant" => StringFor(name, c, new Scope(ScopeKind.Product)),
            "coupon" => PickValue(ShopVocabulary.Coupons),
            "email_subject" or "campaign_name" => StringFor(name, c, new Scope(ScopeKind.Campaign)),
            "city" or "state" or "street" or "postalCode" or "country" => StringFor(name, c, new Scope(ScopeKind.Address)),
            _ when ShopVocabulary.ByName.TryGetValue(name, out string[]? values) => PickValue(values),
            _ when name.EndsWith("_id", StringComparison.Ordinal) || name.EndsWith("_ids", StringComparison.Ordinal) || name == "id"
                => $"{name.TrimEnd('s').ToUpperInvariant()}-{_values.Next(1, 100000)}",
            _ => $"{name} {_values.Next(1, 100)}",
        };
    }

    private double NumberFor(string name, Scope scope) => name switch
    {
        "price" => (scope.Product ??= PickValue(ShopVocabulary.Products)).Price,
        "value" when scope.Kind == ScopeKind.Product => (scope.Product ??= PickValue(ShopVocabulary.Products)).Price,
        "quantity" or "step" => _values.Next(1, 4),
        "position" => _values.Next(1, 25),
        "discount" => PickValue(s_discounts),
        "shipping" => PickValue(s_shipping),
        "tax" => Math.Round(_values.NextDouble() * 40, 2),
        "subtotal" or "total" or "revenue" => Math.Round(20 + (_values.NextDouble() * 280), 2),
        "age" => _values.Next(18, 80),
        "employee_count" => _values.Next(5, 500),
        _ => Math.Round(_values.NextDouble() * 200, 2),
    };

    // What an object describes, from its name and its properties' names.
    private static ScopeKind KindOf(string name, JsonElement properties)
    {
        if (properties.TryGetProperty("product_id", out _) || properties.TryGetProperty("sku", out _))
        {
            return ScopeKind.Product;
        }

        if ((properties.TryGetProperty("path", out _) && properties.TryGetProperty("referrer", out _))
            || (name == "properties" && properties.EnumerateObject().Count() == 1 && properties.TryGetProperty("name", out _)))
        {
            return ScopeKind.Page; // a page, or an app's screen (its only property is the name)
        }

        if (name == "campaign" || properties.TryGetProperty("campaign_name", out _) || properties.TryGetProperty("email_subject", out _)
            || properties.TryGetProperty("promotion_id", out _))
        {
            return ScopeKind.Campaign;
        }

        return name switch
        {
            "address" => ScopeKind.Address,
            "company" => ScopeKind.Company,
            _ => ScopeKind.Customer,
        };
    }

    private static bool IsRequired(JsonElement schema, string name)
    {
        if (schema.TryGetProperty("required", out JsonElement required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement r in required.EnumerateArray())
            {
                if (r.ValueEquals(name))
                {
                    return true;
                }
            }
        }

        return false;
    }

    // A union such as ["integer","null"]: mostly the first non-null type, sometimes null.
    private string TypeOf(Shape shape)
    {
        if (!shape.Union)
        {
            return shape.Types[0];
        }

        string[] nonNull = shape.NonNullTypes;
        return nonNull.Length == 0 || (nonNull.Length < shape.Types.Length && _values.Next(10) == 0) ? "null" : nonNull[_values.Next(nonNull.Length)];
    }

    private PlannedEvent PickEvent()
    {
        int roll = _random.Next(_cumulativeWeights[^1]);
        int index = Array.BinarySearch(_cumulativeWeights, roll + 1);
        return _plan.Events[index < 0 ? ~index : index];
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    private T PickValue<T>(T[] items) => items[_values.Next(items.Length)];

    private string NewGuid() => NewGuid(_random);

    private static string NewGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes).ToString();
    }

    private enum ScopeKind
    {
        Customer,
        Product,
        Page,
        Campaign,
        Address,
        Company,
    }

    // What one JSON object is about; its product, page, campaign or address is drawn once, when first needed.
    private sealed class Scope(ScopeKind kind)
    {
        public ScopeKind Kind { get; } = kind;

        public ShopProduct? Product { get; set; }

        public ShopPage? Page { get; set; }

        public ShopCampaign? Campaign { get; set; }

        public ShopAddress? Address { get; set; }
    }

    // A schema node, read once: enum values as the API writes them, the type (or union of types), the format, and for an
    // object its properties (only above the depth objects are expanded to) and what it describes.
    private sealed class Shape
    {
        private static readonly string[] s_string = ["string"];

        public required string Name { get; init; }

        public byte[][]? Enum { get; init; }

        public required string[] Types { get; init; }

        public required string[] NonNullTypes { get; init; }

        public bool Union { get; init; }

        public string? Format { get; init; }

        public ShapeProperty[]? Properties { get; init; }

        public ScopeKind Kind { get; init; }

        public Shape? Items { get; init; }

        public static Shape Compile(JsonElement schema, string name, int depth)
        {
            byte[][]? values = null;
            if (schema.TryGetProperty("enum", out JsonElement e) && e.ValueKind == JsonValueKind.Array && e.GetArrayLength() > 0)
            {
                values = [.. e.EnumerateArray().Select(Raw)];
            }

            string[] types = s_string;
            bool union = false;
            if (schema.TryGetProperty("type", out JsonElement type))
            {
                union = type.ValueKind == JsonValueKind.Array;
                types = union ? [.. type.EnumerateArray().Select(t => t.GetString() ?? "string")] : [type.GetString() ?? "string"];
            }

            ShapeProperty[]? properties = null;
            ScopeKind kind = ScopeKind.Customer;
            if (schema.TryGetProperty("properties", out JsonElement p) && depth < 4)
            {
                kind = KindOf(name, p);
                properties = [.. p.EnumerateObject().Select(x => new ShapeProperty(
                    JsonEncodedText.Encode(x.Name, WriterOptions.Encoder), IsRequired(schema, x.Name), Compile(x.Value, x.Name, depth + 1)))];
            }

            return new Shape
            {
                Name = name,
                Enum = values,
                Types = types,
                NonNullTypes = [.. types.Where(t => t != "null")],
                Union = union,
                Format = schema.TryGetProperty("format", out JsonElement f) ? f.GetString() : null,
                Properties = properties,
                Kind = kind,
                Items = schema.TryGetProperty("items", out JsonElement items) ? Compile(items, name, depth + 1) : null,
            };
        }

        private static byte[] Raw(JsonElement value)
        {
            var buffer = new ArrayBufferWriter<byte>();
            using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
            {
                value.WriteTo(writer);
            }

            return buffer.WrittenSpan.ToArray();
        }
    }

    private sealed record ShapeProperty(JsonEncodedText Name, bool Required, Shape Shape);

    private sealed record Customer(string Id, string ExternalId, string Email, string FirstName, string LastName, string Ip, string UserAgent);
}
