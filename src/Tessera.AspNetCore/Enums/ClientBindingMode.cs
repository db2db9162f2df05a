namespace Tessera.AspNetCore;

/// <summary>How a session is bound to the client address it was created from.</summary>
public enum ClientBindingMode
{
    /// <summary>No address binding.</summary>
    None = 0,

    /// <summary>The exact address must match.</summary>
    Address = 1,

    /// <summary>The address must be in the same subnet (IPv4 /24 and IPv6 /64 by default).</summary>
    Subnet = 2,
}
