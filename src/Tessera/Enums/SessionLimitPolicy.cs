namespace Tessera;

/// <summary>What a sign-in does when its user already has <see cref="TesseraOptions.MaxSessionsPerUser"/> devices.</summary>
public enum SessionLimitPolicy
{
    /// <summary>The new sign-in is refused (<see cref="SessionLimitException"/>); the user logs out a device first.</summary>
    DenyNew = 0,

    /// <summary>The device whose login expires first (the oldest, with one lifetime) is revoked to make room.</summary>
    EvictOldest = 1,
}
