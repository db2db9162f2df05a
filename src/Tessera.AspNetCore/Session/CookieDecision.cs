namespace Tessera.AspNetCore;

/// <summary>The cookie decision at response start, from the request's session state alone.</summary>
internal static class CookieDecision
{
    /// <summary>
    /// Issue the cookie when the session lives under an id the client does not hold yet (created,
    /// rotated, or a lost sign-in race that followed the winner); delete it after a logout that left
    /// no new session; otherwise leave it alone (in particular a forwarded or refused cookie: another
    /// response may be carrying its successor).
    /// </summary>
    /// <param name="phase">The phase.</param>
    /// <param name="id">The live id, if any.</param>
    /// <param name="cookieId">The id the client sent and is honoured, if any.</param>
    /// <param name="destroyed">Whether the request logged out.</param>
    /// <returns>The action.</returns>
    public static CookieAction Decide(SessionPhase phase, string? id, string? cookieId, bool destroyed) =>
        phase == SessionPhase.Live && id is not null && !string.Equals(id, cookieId, StringComparison.Ordinal)
            ? CookieAction.Issue
            : destroyed ? CookieAction.Delete : CookieAction.None;
}
