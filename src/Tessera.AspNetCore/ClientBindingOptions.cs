using System.ComponentModel.DataAnnotations;

namespace Tessera.AspNetCore;

/// <summary>
/// Optional binding of a session to its client. The address is the connection's remote address:
/// behind a proxy, run <c>UseForwardedHeaders()</c> first so it is the client's.
/// </summary>
public sealed class ClientBindingOptions
{
    /// <summary>Address binding.</summary>
    /// <value>Default <see cref="ClientBindingMode.None"/>.</value>
    public ClientBindingMode Mode { get; set; } = ClientBindingMode.None;

    /// <summary>The IPv4 prefix length for <see cref="ClientBindingMode.Subnet"/>.</summary>
    /// <value>Default 24.</value>
    [Range(0, 32)]
    public int IPv4PrefixLength { get; set; } = 24;

    /// <summary>The IPv6 prefix length for <see cref="ClientBindingMode.Subnet"/>.</summary>
    /// <value>Default 64.</value>
    [Range(0, 128)]
    public int IPv6PrefixLength { get; set; } = 64;

    /// <summary>Whether the user agent must match too.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool UserAgent { get; set; }

    /// <summary>What a mismatching request gets.</summary>
    /// <value>Default <see cref="BindingMismatchAction.NewSession"/>.</value>
    public BindingMismatchAction OnMismatch { get; set; } = BindingMismatchAction.NewSession;

    /// <summary>Whether any binding is on.</summary>
    public bool IsEnabled => Mode != ClientBindingMode.None || UserAgent;
}
