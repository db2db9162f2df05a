namespace Tessera.Admin;

/// <summary>What a cleanup found and did: TTL-less sessions, and sessions "everyone at once" ended.</summary>
/// <param name="Action">What was done to each.</param>
/// <param name="ScannedKeys">Keys under the prefix seen.</param>
/// <param name="Found">TTL-less sessions found.</param>
/// <param name="Applied">Sessions the action changed (0 on a dry run; fewer than found when one got a TTL or went away meanwhile).</param>
/// <param name="Sample">Some of the sessions found.</param>
public sealed record CleanupReport(CleanupAction Action, long ScannedKeys, long Found, long Applied, IReadOnlyList<SessionSummary> Sample)
{
    /// <summary>When "everyone at once" last ran (<see cref="SessionUsers.RevokeEverythingAsync"/>), or null.</summary>
    public DateTimeOffset? EveryoneRevokedAt { get; init; }

    /// <summary>Sessions and logins found that were created at or before <see cref="EveryoneRevokedAt"/>: dead, not yet expired.</summary>
    public long RevokedFound { get; init; }

    /// <summary>Of <see cref="RevokedFound"/>, how many were deleted (0 on a dry run).</summary>
    public long RevokedDeleted { get; init; }
}
