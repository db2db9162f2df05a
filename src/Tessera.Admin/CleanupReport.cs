namespace Tessera.Admin;

/// <summary>What a cleanup found and did.</summary>
/// <param name="Action">What was done to each.</param>
/// <param name="ScannedKeys">Keys under the prefix seen.</param>
/// <param name="Found">TTL-less sessions found.</param>
/// <param name="Applied">Sessions the action changed (0 on a dry run; fewer than found when one got a TTL or went away meanwhile).</param>
/// <param name="Sample">Some of the sessions found.</param>
public sealed record CleanupReport(CleanupAction Action, long ScannedKeys, long Found, long Applied, IReadOnlyList<SessionSummary> Sample);
