namespace Tessera;

/// <summary>What a <see cref="RevocationNotice"/> says ended.</summary>
public enum RevocationScope
{
    /// <summary>
    /// Notices may have been missed (the subscription was down, or a notice could not be read):
    /// re-check everything that is held open. Names no handle.
    /// </summary>
    Resync = 0,

    /// <summary>Sessions or logins were ended by their owner (logout).</summary>
    Logout = 1,

    /// <summary>Sessions or logins were revoked: a device, a user's sessions ("log out everywhere"), a provider's back-channel logout, the device limit.</summary>
    Revoked = 2,

    /// <summary>A session's identifier was rotated: the old handle now forwards to <see cref="RevocationNotice.Successor"/> for a short grace period.</summary>
    Rotated = 3,

    /// <summary>Every session and login created before now was ended. Names no handle.</summary>
    Everyone = 4,
}
