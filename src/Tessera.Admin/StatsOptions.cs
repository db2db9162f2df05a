namespace Tessera.Admin;

/// <summary>What <see cref="SessionAdmin.CollectStatsAsync"/> gathers.</summary>
public sealed class StatsOptions
{
    /// <summary>How many of the largest sessions and of the users with most sessions to keep.</summary>
    /// <value>Default 10.</value>
    public int Top { get; set; } = 10;

    /// <summary>Whether to ask Redis <c>MEMORY USAGE</c> for every session (one more command per key) and base size percentiles on it.</summary>
    /// <value>Default <see langword="false"/>: sizes come from the session's own <c>#s</c> field.</value>
    public bool MemoryUsage { get; set; }

    /// <summary>How many TTL-less sessions to list (all are counted).</summary>
    /// <value>Default 20.</value>
    public int TtlLessSample { get; set; } = 20;
}
