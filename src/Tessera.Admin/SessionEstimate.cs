namespace Tessera.Admin;

/// <summary>
/// What a bounded random sample of the keyspace says about the sessions
/// (<see cref="SessionAdmin.SampleStatsAsync"/>): every count is an <see cref="Estimate"/> with its 95%
/// interval, scaled from the sampled keys to <see cref="TotalKeys"/>; memory is exact (<c>INFO</c>).
/// </summary>
public sealed record SessionEstimate
{
    /// <summary>Every key on the masters (<c>DBSIZE</c>), the population the sample is scaled to. It includes keys past their TTL that Redis has not reclaimed yet.</summary>
    public long TotalKeys { get; init; }

    /// <summary>Keys sampled (of every name, under the prefix or not).</summary>
    public long SampledKeys { get; init; }

    /// <summary>Of the sampled keys, live sessions: what the TTL histogram and the sizes are computed from.</summary>
    public long SampledSessions { get; init; }

    /// <summary>Live sessions.</summary>
    public Estimate Sessions { get; init; }

    /// <summary>Sessions bound to a user.</summary>
    public Estimate WithUser { get; init; }

    /// <summary>Signed-in users: exact (distinct users of the sessions) from a full scan; from a sample, the user indexes (a user has one while signed in somewhere).</summary>
    public Estimate Users { get; init; }

    /// <summary>Sessions without any expiry.</summary>
    public Estimate TtlLess { get; init; }

    /// <summary>Rotation tombstones.</summary>
    public Estimate Tombstones { get; init; }

    /// <summary>User index sorted sets: about the number of users signed in somewhere.</summary>
    public Estimate UserIndexes { get; init; }

    /// <summary>Session locks.</summary>
    public Estimate Locks { get; init; }

    /// <summary>Analytics keys.</summary>
    public Estimate Analytics { get; init; }

    /// <summary>Other keys under the prefix.</summary>
    public Estimate Foreign { get; init; }

    /// <summary>Keys outside the prefix (another application's, in the same database).</summary>
    public Estimate Outside { get; init; }

    /// <summary>Sessions by remaining TTL, with the same buckets as <see cref="SessionStats.TtlHistogram"/>.</summary>
    public IReadOnlyList<EstimatedTtlBucket> TtlHistogram { get; init; } = [];

    /// <summary>The median session size (<c>#s</c>) with its 95% interval; 0 when no session was sampled.</summary>
    public Estimate SizeP50 { get; init; }

    /// <summary>The 90th percentile of session sizes.</summary>
    public Estimate SizeP90 { get; init; }

    /// <summary>The 99th percentile of session sizes.</summary>
    public Estimate SizeP99 { get; init; }

    /// <summary>The largest sampled size (not an estimate of the largest of all: a full scan finds that).</summary>
    public long SizeMaxSampled { get; init; }

    /// <summary>The total of all session sizes, estimated as the sampled mean times the estimated sessions.</summary>
    public double SizeTotal { get; init; }

    /// <summary>Memory of each master.</summary>
    public IReadOnlyList<ServerMemory> Memory { get; init; } = [];

    /// <summary>How long the sample took.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Whether every figure is exact: a full scan, not a sample.</summary>
    public bool IsExact { get; init; }

    /// <summary>The figures of a full scan, as exact estimates (intervals of zero width).</summary>
    /// <param name="stats">What the full scan found.</param>
    /// <returns>The same figures.</returns>
    public static SessionEstimate FromStats(SessionStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return new SessionEstimate
        {
            TotalKeys = stats.Memory.Sum(static m => m.Keys),
            SampledKeys = stats.ScannedKeys,
            SampledSessions = stats.Sessions,
            Sessions = Estimate.Exactly(stats.Sessions),
            WithUser = Estimate.Exactly(stats.WithUser),
            Users = Estimate.Exactly(stats.DistinctUsers),
            TtlLess = Estimate.Exactly(stats.TtlLess),
            Tombstones = Estimate.Exactly(stats.Tombstones),
            UserIndexes = Estimate.Exactly(stats.UserIndexes),
            Locks = Estimate.Exactly(stats.Locks),
            Analytics = Estimate.Exactly(stats.Analytics),
            Foreign = Estimate.Exactly(stats.Foreign),
            TtlHistogram = [.. stats.TtlHistogram.Select(static b => new EstimatedTtlBucket(b.Label, b.UpperBound, Estimate.Exactly(b.Count)))],
            SizeP50 = Estimate.Exactly(stats.Sizes.P50),
            SizeP90 = Estimate.Exactly(stats.Sizes.P90),
            SizeP99 = Estimate.Exactly(stats.Sizes.P99),
            SizeMaxSampled = stats.Sizes.Max,
            SizeTotal = stats.Sizes.Total,
            Memory = stats.Memory,
            Elapsed = stats.Elapsed,
            IsExact = true,
        };
    }

    /// <summary>The largest relative margin of the headline count (<see cref="Sessions"/>), for a one-line statement of the error.</summary>
    public double SessionsRelativeMargin => Sessions.RelativeMargin;
}
