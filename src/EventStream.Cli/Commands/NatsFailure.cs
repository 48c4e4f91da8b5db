using System.Security.Authentication;
using NATS.Client.Core;

namespace EventStream.Cli.Commands;

/// <summary>Why talking to NATS failed, as the relay reports it: only <see cref="NatsFailureKind.Unreachable"/> is worth retrying.</summary>
internal enum NatsFailureKind
{
    /// <summary>No server answered (refused, timed out, closed): it may come back.</summary>
    Unreachable,

    /// <summary>The server refused the credentials (authorization violation, expired or revoked).</summary>
    Authentication,

    /// <summary>The server denied a permission this relay needs (permissions violation).</summary>
    Authorization,

    /// <summary>TLS could not be set up: the certificate was not trusted, or one side does not speak TLS.</summary>
    Tls,

    /// <summary>The credentials could not be loaded.</summary>
    Configuration,
}

/// <summary>Classifies NATS.Net's exceptions and server errors into <see cref="NatsFailureKind"/>, with a reason to show.</summary>
internal static class NatsFailure
{
    public static (NatsFailureKind Kind, string Reason) Classify(Exception exception, string? lastServerError = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case NatsServerException { IsAuthError: true } server:
                    return (NatsFailureKind.Authentication, server.Error);
                case NatsConnectionFailedException when lastServerError is not null && IsAuthentication(lastServerError):
                    return (NatsFailureKind.Authentication, lastServerError.ToLowerInvariant());
                case NatsConnectionFailedException failed when failed.Message.Contains("authentication", StringComparison.OrdinalIgnoreCase):
                    return (NatsFailureKind.Authentication, failed.Message);
                case AuthenticationException tls:
                    return (NatsFailureKind.Tls, tls.InnerException is { } inner ? $"{tls.Message} {inner.Message}" : tls.Message);
                case NatsException n when n.Message.Contains("TLS", StringComparison.Ordinal) && n.Message.Contains("TlsMode", StringComparison.Ordinal):
                    return (NatsFailureKind.Tls, n.Message);
                case System.Security.Cryptography.CryptographicException crypto: // a PEM file that is not one, or the server's alert (a client certificate it rejects)
                    return (NatsFailureKind.Tls, crypto.Message);
                case NatsException n when n.Message.StartsWith("Error loading creds", StringComparison.Ordinal) || n.Message.StartsWith("Failed to load credentials", StringComparison.Ordinal):
                    return (NatsFailureKind.Configuration, n.Message);
            }
        }

        if (lastServerError is not null && lastServerError.StartsWith("Permissions Violation", StringComparison.OrdinalIgnoreCase))
        {
            return (NatsFailureKind.Authorization, lastServerError);
        }

        return (NatsFailureKind.Unreachable, exception.Message);
    }

    public static bool IsAuthentication(string serverError)
        => new NatsServerException(serverError).IsAuthError;

    public static bool IsAuthentication(NatsServerErrorKind kind)
        => kind is NatsServerErrorKind.AuthorizationViolation or NatsServerErrorKind.AuthenticationExpired
            or NatsServerErrorKind.AuthenticationRevoked or NatsServerErrorKind.AccountAuthenticationExpired;
}
