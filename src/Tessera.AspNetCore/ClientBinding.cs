using System.Net;

namespace Tessera.AspNetCore;

/// <summary>Compares a request's client with the one a session recorded.</summary>
internal static class ClientBinding
{
    public const int MaxUserAgentLength = 256;

    /// <summary>The client address of a request as Tessera records it (an IPv4-mapped address as IPv4), or null.</summary>
    public static string? AddressOf(Microsoft.AspNetCore.Http.HttpContext context) =>
        context.Connection.RemoteIpAddress is { } address ? Canonical(address).ToString() : null;

    /// <summary>The client of a request as a device record shows it: its address and cleaned user agent.</summary>
    public static SessionClient Describe(Microsoft.AspNetCore.Http.HttpContext context) =>
        new(AddressOf(context), Normalize(context.Request.Headers.UserAgent));

    public static string? Normalize(string? userAgent)
    {
        if (string.IsNullOrEmpty(userAgent))
        {
            return null;
        }

        var clean = TerminalText.Strip(userAgent);
        return clean.Length <= MaxUserAgentLength ? clean : clean[..MaxUserAgentLength];
    }

    /// <summary>Returns null when the client matches, else what did not match.</summary>
    public static string? Mismatch(ClientBindingOptions options, IPAddress? address, string? userAgent, string? storedAddress, string? storedUserAgent)
    {
        if (options.Mode != ClientBindingMode.None && storedAddress is not null)
        {
            if (address is null || !IPAddress.TryParse(storedAddress, out var stored))
            {
                return "address";
            }

            var matches = options.Mode == ClientBindingMode.Address
                ? Canonical(address).Equals(Canonical(stored))
                : SameSubnet(Canonical(address), Canonical(stored), options);
            if (!matches)
            {
                return "address";
            }
        }

        if (options.UserAgent && storedUserAgent is not null && !string.Equals(Normalize(userAgent), storedUserAgent, StringComparison.Ordinal))
        {
            return "user-agent";
        }

        return null;
    }

    private static IPAddress Canonical(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static bool SameSubnet(IPAddress a, IPAddress b, ClientBindingOptions options)
    {
        if (a.AddressFamily != b.AddressFamily)
        {
            return false;
        }

        var prefix = a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? options.IPv4PrefixLength : options.IPv6PrefixLength;
        Span<byte> x = stackalloc byte[16];
        Span<byte> y = stackalloc byte[16];
        a.TryWriteBytes(x, out var length);
        b.TryWriteBytes(y, out _);
        var fullBytes = prefix / 8;
        if (!x[..fullBytes].SequenceEqual(y[..fullBytes]))
        {
            return false;
        }

        var bits = prefix % 8;
        if (bits == 0 || fullBytes >= length)
        {
            return true;
        }

        var mask = (byte)(0xFF << (8 - bits));
        return (x[fullBytes] & mask) == (y[fullBytes] & mask);
    }
}
