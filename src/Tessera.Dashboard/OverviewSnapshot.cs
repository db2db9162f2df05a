using Tessera.Admin;

namespace Tessera.Dashboard;

/// <summary>
/// One overview: the figures (exact from a full scan, or estimated from a sample with their 95%
/// intervals), plus evictions and, from a full scan, the largest sessions' biggest fields.
/// </summary>
/// <param name="Figures">The figures; <see cref="SessionEstimate.IsExact"/> after a full scan.</param>
/// <param name="Stats">What the full scan found (largest sessions, busiest users); null for a sample.</param>
/// <param name="Live">Server counters (evictions, expired keys, clients).</param>
/// <param name="Largest">The largest sessions with their fields, largest first (a full scan only).</param>
/// <param name="At">When it finished (Redis time).</param>
internal sealed record OverviewSnapshot(SessionEstimate Figures, SessionStats? Stats, WatchSample Live, IReadOnlyList<SessionDetails> Largest, DateTimeOffset At);
