namespace Tessera.AspNetCore;

/// <summary>Where a request's session stands; see <see cref="RequestSessionState"/> for what each may do.</summary>
internal enum SessionPhase
{
    /// <summary>Nothing asked of Redis yet. Calls target the cookie's id, never following it to values.</summary>
    Unread = 0,

    /// <summary>Redis holds the session under <see cref="RequestSessionState.Id"/> (loaded, written or created by this request).</summary>
    Live = 1,

    /// <summary>A new visitor: nothing in Redis; a write creates a session under a fresh id.</summary>
    New = 2,
}
