namespace Tessera.Admin;

/// <summary>One reading of the live counters <c>tessera watch</c> shows: totals over every master.</summary>
public sealed record WatchSample
{
    /// <summary>When it was taken (Redis time).</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>Keys named like sessions under the prefix (live sessions and rotation tombstones).</summary>
    public long SessionKeys { get; init; }

    /// <summary>Every key on the masters.</summary>
    public long TotalKeys { get; init; }

    /// <summary><c>expired_keys</c>: keys Redis expired since it started.</summary>
    public long ExpiredKeys { get; init; }

    /// <summary><c>evicted_keys</c>: keys evicted under memory pressure since start (sessions lost!).</summary>
    public long EvictedKeys { get; init; }

    /// <summary><c>total_commands_processed</c>.</summary>
    public long Commands { get; init; }

    /// <summary><c>keyspace_hits</c>.</summary>
    public long Hits { get; init; }

    /// <summary><c>keyspace_misses</c>.</summary>
    public long Misses { get; init; }

    /// <summary><c>used_memory</c>.</summary>
    public long UsedMemory { get; init; }

    /// <summary><c>connected_clients</c>.</summary>
    public long Clients { get; init; }
}
