namespace Tessera.Admin;

/// <summary>Memory of one master, from <c>INFO memory</c>.</summary>
/// <param name="Endpoint">The master.</param>
/// <param name="UsedBytes"><c>used_memory</c>.</param>
/// <param name="UsedHuman"><c>used_memory_human</c>.</param>
/// <param name="PeakHuman"><c>used_memory_peak_human</c>.</param>
/// <param name="MaxBytes"><c>maxmemory</c> (0: no limit).</param>
/// <param name="Policy"><c>maxmemory_policy</c>.</param>
/// <param name="Keys">Keys in the database (<c>DBSIZE</c>).</param>
public sealed record ServerMemory(string Endpoint, long UsedBytes, string? UsedHuman, string? PeakHuman, long MaxBytes, string? Policy, long Keys);
