namespace Tessera;

/// <summary>
/// One revocation, as every app instance hears it (<see cref="RevocationFeed"/>). A notice is a hint to
/// re-check now, never proof: Redis stays the truth, so a lost notice costs only the delay until the next
/// periodic re-check, and a forged one (from someone who can publish on the Redis server) costs one
/// re-check, never a wrongly ended or a wrongly kept connection.
/// </summary>
/// <param name="Scope">What ended.</param>
/// <param name="Handles">The handles of the sessions and logins that ended (<see cref="SessionIds.Handle"/>), tombstones followed; empty for <see cref="RevocationScope.Everyone"/> and <see cref="RevocationScope.Resync"/>.</param>
/// <param name="Successor">For <see cref="RevocationScope.Rotated"/>, the handle the session became; otherwise null.</param>
/// <param name="IsLocal">Whether this instance made the revocation (delivered at once, without the round trip through Redis).</param>
public sealed record RevocationNotice(RevocationScope Scope, IReadOnlyList<string> Handles, string? Successor, bool IsLocal)
{
    /// <summary>Whether whatever is held open under <paramref name="handle"/> must be re-checked now.</summary>
    /// <param name="handle">A session's or login's handle.</param>
    /// <returns><see langword="true"/> for a notice that names it, and for every <see cref="RevocationScope.Everyone"/> and <see cref="RevocationScope.Resync"/>.</returns>
    public bool Concerns(string handle) =>
        Scope is RevocationScope.Everyone or RevocationScope.Resync || Handles.Contains(handle, StringComparer.Ordinal);
}
