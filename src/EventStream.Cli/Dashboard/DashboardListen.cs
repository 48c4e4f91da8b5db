using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace EventStream.Cli.Dashboard;

/// <summary>
/// Where the dashboard listens (<c>--listen</c>: an IP address, <c>localhost</c>, or a host name resolved to its first
/// address) and the <c>Host</c> names it answers to: the loopback names, the name or address it was told to listen on,
/// for a wildcard address (0.0.0.0, ::) this machine's name and addresses, and every <c>--allowed-host</c>. Any other Host
/// (a DNS-rebinding page's) is refused before any data. <see cref="DisplayHost"/> is the host of the URL printed.
/// </summary>
internal sealed record DashboardListen(IPAddress Address, string DisplayHost, bool IsLoopback, IReadOnlyList<string> AllowedHosts)
{
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>Resolves <paramref name="listen"/>; <see langword="null"/> with a reason when it names nothing that can be bound.</summary>
    public static async Task<(DashboardListen? Listen, string? Error)> ResolveAsync(string listen, IEnumerable<string> allowedHosts, CancellationToken cancellationToken)
    {
        listen = listen.Trim();
        IPAddress? address;
        string display;
        if (IPAddress.TryParse(listen.Trim('[', ']'), out address))
        {
            display = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        }
        else if (string.Equals(listen, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            (address, display) = (IPAddress.Loopback, "localhost");
        }
        else if (Uri.CheckHostName(listen) == UriHostNameType.Dns)
        {
            IPAddress[] found;
            try
            {
                found = await Dns.GetHostAddressesAsync(listen, cancellationToken).ConfigureAwait(false);
            }
            catch (SocketException e)
            {
                return (null, $"--listen {listen}: cannot resolve it ({e.SocketErrorCode}).");
            }

            address = found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? found.FirstOrDefault();
            if (address is null)
            {
                return (null, $"--listen {listen}: it resolves to no address.");
            }

            display = listen.ToLowerInvariant();
        }
        else
        {
            return (null, "--listen must be an IP address or a host name, e.g. 127.0.0.1, localhost or 0.0.0.0.");
        }

        var hosts = new List<string>(LoopbackHosts);
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
        {
            // Not "0.0.0.0" or "[::]" itself: HostFiltering reads those as "any host". The URL shown is this machine's first
            // address that is not loopback, which other machines can use.
            string[] machine = [.. MachineAddresses()];
            hosts.Add(Dns.GetHostName());
            hosts.AddRange(machine);
            display = machine.FirstOrDefault(a => !a.StartsWith('[') && !IPAddress.IsLoopback(IPAddress.Parse(a))) ?? Dns.GetHostName();
        }
        else
        {
            hosts.Add(display);
        }

        foreach (string host in allowedHosts)
        {
            string h = host.Trim();
            if (h.Length == 0 || h.Contains('/', StringComparison.Ordinal) || (h.Contains(':', StringComparison.Ordinal) && !h.StartsWith('[')))
            {
                return (null, $"--allowed-host {host}: give a host name or address without scheme or port, e.g. dash.example.com or [fe80::1].");
            }

            if (h is "*" or "0.0.0.0" or "[::]")
            {
                return (null, $"--allowed-host {host}: that would allow any Host; name the hosts.");
            }

            hosts.Add(h);
        }

        return (new DashboardListen(address, display, IPAddress.IsLoopback(address), [.. hosts.Distinct(StringComparer.OrdinalIgnoreCase)]), null);
    }

    private static IEnumerable<string> MachineAddresses()
    {
        NetworkInterface[] interfaces;
        try
        {
            interfaces = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException)
        {
            yield break;
        }

        foreach (NetworkInterface nic in interfaces)
        {
            foreach (UnicastIPAddressInformation unicast in nic.GetIPProperties().UnicastAddresses)
            {
                IPAddress a = unicast.Address;
                if (a.AddressFamily == AddressFamily.InterNetworkV6)
                {
                    yield return $"[{new IPAddress(a.GetAddressBytes())}]"; // without the scope id: a Host header has none
                }
                else if (a.AddressFamily == AddressFamily.InterNetwork)
                {
                    yield return a.ToString();
                }
            }
        }
    }
}
