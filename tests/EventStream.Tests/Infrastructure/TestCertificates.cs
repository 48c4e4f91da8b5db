using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EventStream.Tests.Infrastructure;

/// <summary>
/// A throwaway PKI for TLS tests, made with <see cref="CertificateRequest"/> and written as PEM to a temporary directory:
/// a CA, a server certificate for 127.0.0.1 and a client certificate signed by it, and a second CA that signed nothing
/// here (to show an untrusted server).
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private TestCertificates(string directory) => Directory = directory;

    public string Directory { get; }

    public string CaFile => Path.Combine(Directory, "ca.pem");

    public string OtherCaFile => Path.Combine(Directory, "other-ca.pem");

    public string ServerCertFile => Path.Combine(Directory, "server.pem");

    public string ServerKeyFile => Path.Combine(Directory, "server-key.pem");

    public string ClientCertFile => Path.Combine(Directory, "client.pem");

    public string ClientKeyFile => Path.Combine(Directory, "client-key.pem");

    /// <summary>nats-server's <c>tls</c> block for the server certificate; <paramref name="verify"/> requires a client certificate from the CA.</summary>
    public string ServerTlsConfig(bool verify)
        => $"tls {{ cert_file: \"{ServerCertFile}\", key_file: \"{ServerKeyFile}\", ca_file: \"{CaFile}\", verify: {(verify ? "true" : "false")}, timeout: 5 }}";

    public static TestCertificates Create()
    {
        var result = new TestCertificates(Path.Combine(Path.GetTempPath(), $"pki-{Guid.NewGuid():N}"));
        System.IO.Directory.CreateDirectory(result.Directory);
        DateTimeOffset now = DateTimeOffset.UtcNow;
        using X509Certificate2 ca = CreateCa("EventStream test CA", now);
        using X509Certificate2 other = CreateCa("Someone else's CA", now);
        File.WriteAllText(result.CaFile, ca.ExportCertificatePem());
        File.WriteAllText(result.OtherCaFile, other.ExportCertificatePem());
        Issue(ca, "127.0.0.1", server: true, now, result.ServerCertFile, result.ServerKeyFile);
        Issue(ca, "eventstream-relay", server: false, now, result.ClientCertFile, result.ClientKeyFile);
        return result;
    }

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);

    private static X509Certificate2 CreateCa(string name, DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    private static void Issue(X509Certificate2 ca, string name, bool server, DateTimeOffset now, string certFile, string keyFile)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], critical: false));
        var names = new SubjectAlternativeNameBuilder();
        if (server)
        {
            names.AddIpAddress(IPAddress.Loopback);
        }
        else
        {
            names.AddDnsName(name);
        }

        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        byte[] serial = RandomNumberGenerator.GetBytes(12);
        using X509Certificate2 cert = request.Create(ca, now.AddMinutes(-5), now.AddHours(12), serial);
        File.WriteAllText(certFile, cert.ExportCertificatePem());
        File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
    }
}
