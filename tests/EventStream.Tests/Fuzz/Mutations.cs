using System.Text;
using CsCheck;

namespace EventStream.Tests.Fuzz;

/// <summary>
/// Random damage to real inputs, the kinds a gateway, a disk or a buggy producer inflict: truncation, byte flips,
/// inserted garbage, deep nesting, huge numbers, invalid UTF-8, lone surrogates, duplicate keys, swapped chunks.
/// </summary>
internal static class Mutations
{
    private static readonly byte[][] Snippets =
    [
        "1e999999"u8.ToArray(), "-123456789012345678901234567890.5e-400"u8.ToArray(), "\"\\ud800\""u8.ToArray(), "\"\\udfff\\ud800x\""u8.ToArray(),
        [0xC3, 0x28], [0xFF, 0xFE], [0xED, 0xA0, 0x80], "null"u8.ToArray(), "{}"u8.ToArray(), "[]"u8.ToArray(), "\"\""u8.ToArray(),
        "\"eventId\":\"dup\","u8.ToArray(), "\"eventTime\":\"not a time\","u8.ToArray(), "\"eventTime\":\"9999-99-99T99:99:99Z\","u8.ToArray(),
        "\"data\":[],"u8.ToArray(), "\"total\":-1,"u8.ToArray(), ","u8.ToArray(), "\""u8.ToArray(), "\\"u8.ToArray(), "\0"u8.ToArray(),
    ];

    /// <summary>One to four mutations of <paramref name="input"/>.</summary>
    public static Gen<byte[]> Of(byte[] input)
        => Gen.Select(Gen.Int[1, 4], Gen.Int).Select((count, seed) => Apply(input, count, new Random(seed)));

    /// <summary>Random mutations of one of several inputs.</summary>
    public static Gen<byte[]> OfAny(params byte[][] inputs)
        => Gen.Select(Gen.Int[0, inputs.Length - 1], Gen.Int[1, 4], Gen.Int).Select((which, count, seed) => Apply(inputs[which], count, new Random(seed)));

    public static byte[] Apply(byte[] input, int count, Random random)
    {
        List<byte> bytes = [.. input];
        for (int i = 0; i < count; i++)
        {
            int at = bytes.Count == 0 ? 0 : random.Next(bytes.Count + 1);
            switch (random.Next(9))
            {
                case 0: // truncate
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 1: // flip bits
                    if (bytes.Count > 0)
                    {
                        int j = random.Next(bytes.Count);
                        bytes[j] ^= (byte)(1 << random.Next(8));
                    }

                    break;
                case 2: // random bytes
                    byte[] junk = new byte[random.Next(1, 8)];
                    random.NextBytes(junk);
                    bytes.InsertRange(at, junk);
                    break;
                case 3: // deep nesting where a value starts
                    int colon = bytes.IndexOf((byte)':', Math.Min(at, bytes.Count));
                    if (colon >= 0)
                    {
                        int depth = random.Next(2) == 0 ? random.Next(60, 1_100) : random.Next(4_000, 6_000);
                        string deep = new string('[', depth) + "1" + new string(']', random.Next(4) == 0 ? depth - 1 : depth) + ",";
                        bytes.InsertRange(colon + 1, Encoding.UTF8.GetBytes(deep));
                    }

                    break;
                case 4: // a known troublemaker
                    bytes.InsertRange(at, Snippets[random.Next(Snippets.Length)]);
                    break;
                case 5: // duplicate a member: copy a stretch that starts at a quote to just before it
                    int quote = bytes.IndexOf((byte)'"', Math.Min(at, bytes.Count));
                    if (quote >= 0)
                    {
                        int comma = bytes.IndexOf((byte)',', quote);
                        if (comma > quote && comma - quote < 400)
                        {
                            bytes.InsertRange(quote, bytes.GetRange(quote, comma - quote + 1));
                        }
                    }

                    break;
                case 6: // swap two chunks
                    if (bytes.Count > 20)
                    {
                        int a = random.Next(bytes.Count - 10), b = random.Next(bytes.Count - 10), n = random.Next(1, 10);
                        for (int k = 0; k < n; k++)
                        {
                            (bytes[a + k], bytes[b + k]) = (bytes[b + k], bytes[a + k]);
                        }
                    }

                    break;
                case 7: // delete a stretch
                    if (at < bytes.Count)
                    {
                        bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 50)));
                    }

                    break;
                default: // a digit becomes a huge number
                    int digit = bytes.FindIndex(Math.Min(at, bytes.Count), b => b is >= (byte)'0' and <= (byte)'9');
                    if (digit >= 0)
                    {
                        bytes.InsertRange(digit, Encoding.UTF8.GetBytes(new string('9', random.Next(20, 400))));
                    }

                    break;
            }
        }

        return [.. bytes];
    }
}
