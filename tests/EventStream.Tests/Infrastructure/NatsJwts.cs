using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NATS.NKeys;

namespace EventStream.Tests.Infrastructure;

/// <summary>
/// Decentralized NATS auth without the nsc tool: an operator, an account with JetStream and a user, their JWTs signed
/// with NATS.NKeys (ed25519, as nats-io/jwt v2 encodes them), nats-server's <c>operator</c>/<c>resolver: MEMORY</c>
/// configuration, and the user's <c>.creds</c> file.
/// </summary>
internal sealed class NatsJwts : IDisposable
{
    private readonly KeyPair _operator = KeyPair.CreatePair(PrefixByte.Operator);
    private readonly KeyPair _account = KeyPair.CreatePair(PrefixByte.Account);
    private readonly KeyPair _user = KeyPair.CreatePair(PrefixByte.User);
    private readonly KeyPair _system = KeyPair.CreatePair(PrefixByte.Account); // JetStream needs the server's system account

    public string UserSeed => _user.GetSeed();

    /// <summary>nats-server configuration trusting the operator, with the account preloaded.</summary>
    public string ServerConfig(string directory)
    {
        string operatorJwt = Path.Combine(directory, "operator.jwt");
        File.WriteAllText(operatorJwt, Encode(_operator, _operator.GetPublicKey(), "eventstream-tests", new JsonObject { ["type"] = "operator", ["version"] = 2 }));
        string account = Encode(_operator, _account.GetPublicKey(), "relays", new JsonObject
        {
            ["limits"] = new JsonObject
            {
                ["subs"] = -1, ["data"] = -1, ["payload"] = -1, ["imports"] = -1, ["exports"] = -1, ["wildcards"] = true, ["conn"] = -1, ["leaf"] = -1,
                ["mem_storage"] = -1, ["disk_storage"] = -1, ["streams"] = -1, ["consumer"] = -1,
            },
            ["default_permissions"] = new JsonObject { ["pub"] = new JsonObject(), ["sub"] = new JsonObject() },
            ["type"] = "account",
            ["version"] = 2,
        });
        string system = Encode(_operator, _system.GetPublicKey(), "SYS", new JsonObject { ["type"] = "account", ["version"] = 2 });
        return $"operator: \"{operatorJwt}\"\nsystem_account: {_system.GetPublicKey()}\nresolver: MEMORY\n"
            + $"resolver_preload: {{ {_account.GetPublicKey()}: \"{account}\", {_system.GetPublicKey()}: \"{system}\" }}";
    }

    /// <summary>Writes the user's .creds file (its JWT, signed by the account, and its seed) and returns its path.</summary>
    public string WriteCreds(string path)
    {
        string jwt = Encode(_account, _user.GetPublicKey(), "relay", new JsonObject
        {
            ["pub"] = new JsonObject(), ["sub"] = new JsonObject(), ["subs"] = -1, ["data"] = -1, ["payload"] = -1, ["type"] = "user", ["version"] = 2,
        });
        File.WriteAllText(path, $"""
            -----BEGIN NATS USER JWT-----
            {jwt}
            ------END NATS USER JWT------

            ************************* IMPORTANT *************************
            NKEY Seed printed below can be used to sign and prove identity.
            NKEYs are sensitive and should be treated as secrets.

            -----BEGIN USER NKEY SEED-----
            {UserSeed}
            ------END USER NKEY SEED------

            *************************************************************

            """);
        return path;
    }

    public void Dispose()
    {
        _operator.Dispose();
        _account.Dispose();
        _user.Dispose();
        _system.Dispose();
    }

    private static string Encode(KeyPair issuer, string subject, string name, JsonObject nats)
    {
        var claims = new JsonObject
        {
            ["jti"] = Convert.ToHexString(Guid.NewGuid().ToByteArray()),
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["iss"] = issuer.GetPublicKey(),
            ["name"] = name,
            ["sub"] = subject,
            ["nats"] = nats,
        };
        string signed = $"{Base64Url("{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}"u8.ToArray())}.{Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()))}";
        var signature = new byte[64];
        issuer.Sign(Encoding.ASCII.GetBytes(signed), signature);
        return $"{signed}.{Base64Url(signature)}";
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
