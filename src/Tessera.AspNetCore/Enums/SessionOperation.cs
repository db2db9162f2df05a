namespace Tessera.AspNetCore;

/// <summary>The kinds of Redis work a request's session does; each gets its target from <see cref="RequestSessionState.TargetFor"/>.</summary>
internal enum SessionOperation
{
    /// <summary>Read every value (the load).</summary>
    Read = 0,

    /// <summary>Write the pending delta.</summary>
    Commit = 1,

    /// <summary>An atomic operation on one field (increment, set-if-absent, compare-and-set, remove now).</summary>
    Atomic = 2,

    /// <summary>End the session (logout).</summary>
    Destroy = 3,
}
