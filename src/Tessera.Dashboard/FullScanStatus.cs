using Tessera.Admin;

namespace Tessera.Dashboard;

/// <summary>The operator's full scan.</summary>
/// <param name="State">Where it is.</param>
/// <param name="Started">When it started (the app's clock).</param>
/// <param name="Progress">How far it came (null before the first batch).</param>
/// <param name="Ended">When it ended, unless it is running.</param>
internal sealed record FullScanStatus(FullScanState State, DateTimeOffset Started, ScanProgress? Progress, DateTimeOffset? Ended);
