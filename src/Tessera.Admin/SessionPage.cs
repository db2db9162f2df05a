namespace Tessera.Admin;

/// <summary>One page of a listing.</summary>
/// <param name="Sessions">The sessions, in scan order.</param>
/// <param name="Next">Where the next page starts, or <see langword="null"/> when the scan is complete.</param>
/// <param name="ScannedKeys">Keys under the prefix this page looked at.</param>
public sealed record SessionPage(IReadOnlyList<SessionSummary> Sessions, ScanPosition? Next, long ScannedKeys);
