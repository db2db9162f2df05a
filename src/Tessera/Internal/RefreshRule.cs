namespace Tessera.Internal;

/// <summary>
/// The one rule of the sliding refresh, for C# and for every Lua script (<see cref="LuaFunction"/>): a
/// read writes the new expiry only when the last refresh is older than the granularity. The granularity
/// is <see cref="TesseraOptions.RefreshGranularity"/> when set and at most half the session's idle
/// timeout (a per-session <c>SetTimeouts</c> may be shorter than the configured one, and a session
/// refreshed less often than half its idle timeout would die while read), else a twentieth of the idle
/// timeout, at most <see cref="TesseraDefaults.MaxRefreshGranularity"/>. Used by the store's read, the
/// middleware's refresh of untouched sessions, and the Refresh, Atomic and Increment scripts.
/// </summary>
internal static class RefreshRule
{
    /// <summary>The share of the idle timeout used when no granularity is set: one twentieth.</summary>
    public const int IdleDivisor = 20;

    /// <summary>The longest granularity used when none is set, in ms.</summary>
    public static readonly long MaxGranularityMs = (long)TesseraDefaults.MaxRefreshGranularity.TotalMilliseconds;

    /// <summary>The granularity for a session's idle timeout.</summary>
    /// <param name="idleMs">The session's idle timeout, ms.</param>
    /// <param name="fixedMs">The configured granularity, ms (0: none).</param>
    /// <returns>The granularity, ms.</returns>
    public static long GranularityMs(long idleMs, long fixedMs) =>
        fixedMs > 0 && fixedMs * 2 <= idleMs ? fixedMs : Math.Min(idleMs / IdleDivisor, MaxGranularityMs);

    /// <summary>The granularity for an idle timeout, as a time span.</summary>
    /// <param name="idle">The idle timeout.</param>
    /// <param name="fixedGranularity">The configured granularity, if any.</param>
    /// <returns>The granularity.</returns>
    public static TimeSpan Granularity(TimeSpan idle, TimeSpan? fixedGranularity) =>
        TimeSpan.FromMilliseconds(GranularityMs((long)idle.TotalMilliseconds, fixedGranularity is { } g ? Math.Max(1L, (long)g.TotalMilliseconds) : 0L));

    /// <summary>Whether a refresh is due.</summary>
    /// <param name="nowMs">Now, unix ms.</param>
    /// <param name="lastMs">The last refresh, unix ms.</param>
    /// <param name="idleMs">The session's idle timeout, ms.</param>
    /// <param name="fixedMs">The configured granularity, ms (0: none).</param>
    /// <returns><see langword="true"/> when the refresh should be written.</returns>
    public static bool IsDue(long nowMs, long lastMs, long idleMs, long fixedMs) => nowMs - lastMs >= GranularityMs(idleMs, fixedMs);

    /// <summary>The same rule as the Lua function <c>gran_for(idle, fixed)</c>, built from these constants.</summary>
    public static string LuaFunction => $$"""
        local function gran_for(idle, fixed)
          if fixed > 0 and fixed * 2 <= idle then return fixed end
          local g = math.floor(idle / {{IdleDivisor}})
          if g > {{MaxGranularityMs}} then g = {{MaxGranularityMs}} end
          return g
        end
        """;
}
