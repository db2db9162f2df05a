namespace Tessera.Admin;

/// <summary>What a full scan of the sessions found.</summary>
public sealed record SessionStats
{
    /// <summary>Keys under the prefix that the scan saw.</summary>
    public long ScannedKeys { get; init; }

    /// <summary>Live sessions.</summary>
    public long Sessions { get; init; }

    /// <summary>Rotation tombstones.</summary>
    public long Tombstones { get; init; }

    /// <summary>User index sorted sets.</summary>
    public long UserIndexes { get; init; }

    /// <summary>Session locks.</summary>
    public long Locks { get; init; }

    /// <summary>Other keys under the prefix.</summary>
    public long Foreign { get; init; }

    /// <summary>Analytics keys (<c>{prefix}analytics:*</c>, from <c>AddTesseraAnalytics()</c> and the dashboard).</summary>
    public long Analytics { get; init; }

    /// <summary>Sessions without any expiry (<c>PTTL</c> -1): they never go away by themselves.</summary>
    public long TtlLess { get; init; }

    /// <summary>Some of the TTL-less sessions.</summary>
    public IReadOnlyList<SessionSummary> TtlLessSample { get; init; } = [];

    /// <summary>Sessions by remaining TTL.</summary>
    public IReadOnlyList<TtlBucket> TtlHistogram { get; init; } = [];

    /// <summary>Size percentiles.</summary>
    public required SizeDistribution Sizes { get; init; }

    /// <summary>The largest sessions, largest first.</summary>
    public IReadOnlyList<SessionSummary> Largest { get; init; } = [];

    /// <summary>Users with the most sessions, most first.</summary>
    public IReadOnlyList<UserCount> TopUsers { get; init; } = [];

    /// <summary>Sessions bound to a user.</summary>
    public long WithUser { get; init; }

    /// <summary>Distinct users seen.</summary>
    public long DistinctUsers { get; init; }

    /// <summary>Memory of each master.</summary>
    public IReadOnlyList<ServerMemory> Memory { get; init; } = [];

    /// <summary>How long the scan took.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Keys under the prefix per second of scan.</summary>
    public double KeysPerSecond => Elapsed > TimeSpan.Zero ? ScannedKeys / Elapsed.TotalSeconds : 0;
}
