using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EventStream.Cli.Dashboard;

/// <summary>
/// The dashboard's TLS certificate: <c>--tls-cert FILE --tls-key FILE</c> (PEM), or <c>--tls-cert FILE.pfx</c> (PKCS#12,
/// its password in <c>EVENTSTREAM_TLS_PASSWORD</c> when it has one).
/// </summary>
internal static class DashboardTls
{
    public const string PasswordVariable = "EVENTSTREAM_TLS_PASSWORD";

    public static (X509Certificate2? Certificate, string? Error) Load(string certificateFile, string? keyFile)
    {
        bool pfx = certificateFile.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || certificateFile.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
        if (!File.Exists(certificateFile))
        {
            return (null, $"--tls-cert {certificateFile}: no such file.");
        }

        if (!pfx && keyFile is null)
        {
            return (null, "--tls-key is needed with a PEM --tls-cert (or give a .pfx/.p12 file).");
        }

        if (keyFile is not null && !File.Exists(keyFile))
        {
            return (null, $"--tls-key {keyFile}: no such file.");
        }

        try
        {
            X509Certificate2 certificate = pfx
                ? X509CertificateLoader.LoadPkcs12FromFile(certificateFile, Environment.GetEnvironmentVariable(PasswordVariable))
                : X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
            if (!certificate.HasPrivateKey)
            {
                certificate.Dispose();
                return (null, $"--tls-cert {certificateFile}: the certificate has no private key.");
            }

            return (certificate, null);
        }
        catch (CryptographicException e)
        {
            return (null, $"--tls-cert {certificateFile}: cannot read the certificate and its key ({e.Message}).");
        }
    }
}
