namespace Tessera;

/// <summary>What the near cache (<see cref="NearCacheOptions"/>) is doing.</summary>
public enum NearCacheState
{
    /// <summary>Turned off in the options.</summary>
    Off,

    /// <summary>On, but its invalidation connection is not (yet, or again) registered: every read goes to Redis.</summary>
    Connecting,

    /// <summary>Registered for invalidations: repeated reads are answered from memory.</summary>
    Active,

    /// <summary>The server cannot tell it of changes (no <c>CLIENT TRACKING</c>, as on Garnet): off for good, logged once.</summary>
    Unsupported,
}
