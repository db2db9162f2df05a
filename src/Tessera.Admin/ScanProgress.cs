namespace Tessera.Admin;

/// <summary>How far a scan has come.</summary>
/// <param name="ScannedKeys">Keys under the prefix seen so far.</param>
/// <param name="Sessions">Of those, live sessions.</param>
/// <param name="TotalKeys">Every key on the masters (<c>DBSIZE</c>): an upper bound of what the scan will see.</param>
public sealed record ScanProgress(long ScannedKeys, long Sessions, long TotalKeys);
