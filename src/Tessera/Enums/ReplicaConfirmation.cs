namespace Tessera;

/// <summary>Whether a revocation is known to be on a replica, so that a failover cannot bring the session back.</summary>
public enum ReplicaConfirmation
{
    /// <summary>The primary has no replica: there is nothing a failover could promote (a standalone server).</summary>
    NoReplicas = 0,

    /// <summary>At least one replica acknowledged the revocation (<c>WAIT</c>) within <see cref="TesseraOptions.ReplicaWait"/>.</summary>
    Confirmed = 1,

    /// <summary>
    /// No replica acknowledged it within the bound (a replica lags or is down, or the confirmation could not be
    /// sent): the revocation is done on the primary, and a failover now could lose it.
    /// </summary>
    Unconfirmed = 2,

    /// <summary>The server has no <c>WAIT</c> (Garnet), or the store was given a multiplexer it cannot open a second connection like.</summary>
    Unsupported = 3,

    /// <summary>Turned off (<see cref="TesseraOptions.ReplicaWait"/> is zero).</summary>
    Off = 4,
}
