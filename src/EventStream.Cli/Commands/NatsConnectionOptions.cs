using System.CommandLine;
using NATS.Client.Core;
using NATS.NKeys;

namespace EventStream.Cli.Commands;

/// <summary>
/// How <c>relay</c> reaches NATS: the server URL(s), one way to authenticate (a .creds file, an nkey seed file, user and
/// password, or a token — the secrets from files or the environment, never from an option, so they stay out of
/// <c>ps</c>), and TLS (a <c>tls://</c> URL, a CA, a client certificate). <see cref="Build"/> checks them before anything
/// connects: a problem is a usage error naming the option or variable, never showing a secret.
/// </summary>
internal sealed class NatsConnectionOptions
{
    public const string UrlVariable = "EVENTSTREAM_NATS_URL";
    public const string UserVariable = "EVENTSTREAM_NATS_USER";
    public const string PasswordVariable = "EVENTSTREAM_NATS_PASSWORD";
    public const string TokenVariable = "EVENTSTREAM_NATS_TOKEN";
    public const string DefaultUrl = "nats://127.0.0.1:4222";

    public Option<string?> Url { get; } = new("--nats") { Description = $"The NATS server, nats://HOST:PORT or tls://HOST:PORT; several comma-separated (or set {UrlVariable}; default {DefaultUrl})" };

    public Option<FileInfo?> Creds { get; } = new("--nats-creds") { Description = "Authenticate with this .creds file (a user JWT and its nkey seed)" };

    public Option<FileInfo?> NKey { get; } = new("--nats-nkey") { Description = "Authenticate with the user nkey seed (SU…) in this file" };

    public Option<string?> User { get; } = new("--nats-user") { Description = $"Authenticate as this user, the password in {PasswordVariable} (or set {UserVariable}); a token goes in {TokenVariable}" };

    public Option<FileInfo?> Ca { get; } = new("--nats-ca") { Description = "Trust the server certificate signed by this CA (PEM); implies TLS" };

    public Option<FileInfo?> Cert { get; } = new("--nats-cert") { Description = "Present this client certificate (PEM; with --nats-key); implies TLS" };

    public Option<FileInfo?> Key { get; } = new("--nats-key") { Description = "The client certificate's private key (PEM)" };

    public void AddTo(Command command)
    {
        foreach (Option option in new Option[] { Url, Creds, NKey, User, Ca, Cert, Key })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>The connection's options; or the problem, naming the option or variable (no secret in it).</summary>
    public (NatsConnectionSettings? Settings, string? Problem) Build(ParseResult parse, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(environment);
        string? Env(string name) => environment(name) is { Length: > 0 } v ? v : null;
        var secrets = new List<string>();
        try
        {
            string urlFrom = parse.GetValue(Url) is not null ? "--nats" : Env(UrlVariable) is not null ? UrlVariable : "--nats";
            string url = parse.GetValue(Url) ?? Env(UrlVariable) ?? DefaultUrl;
            var seeds = url.Split(',', StringSplitOptions.TrimEntries);
            bool tlsScheme = false;
            string? urlCredentials = null;
            foreach (string seed in seeds)
            {
                if (!Uri.TryCreate(seed.Contains("://", StringComparison.Ordinal) ? seed : "nats://" + seed, UriKind.Absolute, out Uri? uri)
                    || uri.Scheme is not ("nats" or "tls" or "ws" or "wss") || uri.Host.Length == 0)
                {
                    throw new FormatException($"{urlFrom}: '{Redactor.RedactUrls(seed)}' is not a NATS URL (nats://HOST:PORT or tls://HOST:PORT)");
                }

                tlsScheme |= uri.Scheme is "tls" or "wss";
                if (uri.UserInfo.Length > 0)
                {
                    int colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
                    urlCredentials = colon < 0 ? $"the token in the {urlFrom} URL" : $"user '{Uri.UnescapeDataString(uri.UserInfo[..colon])}' in the {urlFrom} URL";
                    secrets.Add(colon < 0 ? uri.UserInfo : uri.UserInfo[(colon + 1)..]);
                }
            }

            string? user = parse.GetValue(User) ?? Env(UserVariable);
            string userFrom = parse.GetValue(User) is not null ? "--nats-user" : UserVariable;
            string? password = Env(PasswordVariable);
            string? token = Env(TokenVariable);
            secrets.Add(password ?? "");
            secrets.Add(token ?? "");
            if (user is not null && password is null)
            {
                throw new FormatException($"{userFrom} needs {PasswordVariable} (the password is read from the environment only)");
            }

            if (password is not null && user is null)
            {
                throw new FormatException($"{PasswordVariable} needs --nats-user or {UserVariable}");
            }

            string[] ways = [.. new[]
            {
                urlCredentials,
                parse.GetValue(Creds) is null ? null : "--nats-creds",
                parse.GetValue(NKey) is null ? null : "--nats-nkey",
                user is null ? null : $"{userFrom} and {PasswordVariable}",
                token is null ? null : TokenVariable,
            }.OfType<string>()];
            if (ways.Length > 1)
            {
                throw new FormatException($"give one way to authenticate to NATS, not {string.Join(" and ", ways)}");
            }

            var auth = new NatsAuthOpts();
            string authentication = ways.Length == 0 ? "no credentials" : ways[0];
            if (parse.GetValue(Creds) is { } creds)
            {
                string text = ReadFile(creds, "--nats-creds");
                string? jwt = Block(text, "-----BEGIN NATS USER JWT-----");
                string? seed = Block(text, "-----BEGIN USER NKEY SEED-----");
                if (jwt is null || seed is null)
                {
                    throw new FormatException($"--nats-creds: {creds.FullName} is not a .creds file (a NATS user JWT and its nkey seed)");
                }

                secrets.Add(seed);
                auth = auth with { CredsFile = creds.FullName };
                authentication = $"the creds file {creds.Name}";
            }
            else if (parse.GetValue(NKey) is { } nkeyFile)
            {
                string text = ReadFile(nkeyFile, "--nats-nkey");
                string? seed = text.Split('\n', StringSplitOptions.TrimEntries).FirstOrDefault(l => l.StartsWith("SU", StringComparison.Ordinal));
                string publicKey;
                try
                {
                    using KeyPair pair = KeyPair.FromSeed(seed ?? throw new FormatException());
                    publicKey = pair.GetPublicKey();
                }
                catch (Exception ex) when (ex is FormatException or ArgumentException or IndexOutOfRangeException or NKeysException)
                {
                    throw new FormatException($"--nats-nkey: {nkeyFile.FullName} holds no user nkey seed (a line SU…)");
                }

                secrets.Add(seed);
                auth = auth with { Seed = seed, NKey = publicKey };
                authentication = $"the nkey {publicKey}";
            }
            else if (user is not null)
            {
                auth = auth with { Username = user, Password = password };
                authentication = $"user '{user}' and {PasswordVariable}";
            }
            else if (token is not null)
            {
                auth = auth with { Token = token };
                authentication = TokenVariable;
            }

            FileInfo? ca = parse.GetValue(Ca), cert = parse.GetValue(Cert), key = parse.GetValue(Key);
            if ((cert is null) != (key is null))
            {
                throw new FormatException("--nats-cert and --nats-key go together (a client certificate and its private key)");
            }

            foreach ((FileInfo? file, string option) in new[] { (ca, "--nats-ca"), (cert, "--nats-cert"), (key, "--nats-key") })
            {
                if (file is { Exists: false })
                {
                    throw new FormatException($"{option}: {file.FullName} does not exist");
                }
            }

            bool tls = tlsScheme || ca is not null || cert is not null;
            var tlsOpts = new NatsTlsOpts
            {
                CaFile = ca?.FullName,
                CertFile = cert?.FullName,
                KeyFile = key?.FullName,
                Mode = tls ? TlsMode.Require : TlsMode.Auto,
            };
            var opts = new NatsOpts { Url = url, AuthOpts = auth, TlsOpts = tlsOpts };
            return (new NatsConnectionSettings(opts, Redactor.RedactUrls(url), authentication, tls, secrets), null);
        }
        catch (FormatException ex)
        {
            return (null, new Redactor(secrets).Redact(ex.Message));
        }
    }

    private static string ReadFile(FileInfo file, string option)
    {
        try
        {
            return File.ReadAllText(file.FullName);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new FormatException($"{option}: cannot read {file.FullName} ({(ex is FileNotFoundException or DirectoryNotFoundException ? "it does not exist" : ex.GetType().Name)})");
        }
    }

    // The line after a .creds file's "-----BEGIN …-----" marker.
    private static string? Block(string text, string marker)
    {
        string[] lines = text.Split('\n', StringSplitOptions.TrimEntries);
        int at = Array.FindIndex(lines, l => l.StartsWith(marker, StringComparison.Ordinal));
        return at >= 0 && at + 1 < lines.Length && lines[at + 1].Length > 0 ? lines[at + 1] : null;
    }
}

/// <summary>What <see cref="NatsConnectionOptions.Build"/> made: the options, the URL as shown, how it authenticates, its secrets.</summary>
/// <param name="Opts">NATS.Net's options (the relay adds its name).</param>
/// <param name="DisplayUrl">The URL(s) with any credentials masked.</param>
/// <param name="Authentication">How it authenticates, in words without a secret (for messages).</param>
/// <param name="Tls">Whether TLS is required.</param>
/// <param name="Secrets">Every secret it holds, for the output's <see cref="Redactor"/>.</param>
internal sealed record NatsConnectionSettings(NatsOpts Opts, string DisplayUrl, string Authentication, bool Tls, IReadOnlyList<string> Secrets);
