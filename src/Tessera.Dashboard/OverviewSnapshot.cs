using Tessera.Admin;

namespace Tessera.Dashboard;

/// <summary>One overview scan: the same <see cref="SessionStats"/> <c>tessera stats</c> computes, plus evictions and the largest sessions' biggest fields.</summary>
/// <param name="Stats">The scan's statistics.</param>
/// <param name="Live">Server counters (evictions, expired keys, clients).</param>
/// <param name="Largest">The largest sessions with their fields, largest first.</param>
/// <param name="At">When the scan finished (Redis time).</param>
internal sealed record OverviewSnapshot(SessionStats Stats, WatchSample Live, IReadOnlyList<SessionDetails> Largest, DateTimeOffset At);
