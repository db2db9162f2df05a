namespace Tessera;

/// <summary>A session as loaded from Redis: its identifier, metadata and decoded values.</summary>
/// <param name="Id">The session identifier.</param>
/// <param name="Metadata">Times, timeouts and bindings.</param>
/// <param name="Values">Caller keys and their decoded values (a value past its own lifetime is not among them).</param>
/// <param name="ServerTime">The app's clock (<see cref="TimeProvider"/>) when the record was read.</param>
public sealed record SessionRecord(
    string Id,
    SessionMetadata Metadata,
    IReadOnlyDictionary<string, byte[]> Values,
    DateTimeOffset ServerTime)
{
    /// <summary>The keys whose values are counters written by the atomic API (decimal text).</summary>
    public IReadOnlySet<string> Counters { get; init; } = new HashSet<string>();

    /// <summary>The keys whose stored form is out of date (for example encrypted with a retired key); the next commit rewrites them.</summary>
    public IReadOnlySet<string> Stale { get; init; } = new HashSet<string>();

    /// <summary>The stored bytes of the <see cref="Stale"/> values as read, so a rewrite can be conditional on them.</summary>
    public IReadOnlyDictionary<string, byte[]> StaleStored { get; init; } = new Dictionary<string, byte[]>();

    /// <summary>When the <see cref="Values"/> that have their own lifetime expire (a value without one is not listed).</summary>
    public IReadOnlyDictionary<string, DateTimeOffset> Expiries { get; init; } = new Dictionary<string, DateTimeOffset>();

    /// <summary>
    /// The stored bytes of values found past their own lifetime (they are not in <see cref="Values"/>), so
    /// their removal can be conditional on them: a value written again meanwhile is kept.
    /// </summary>
    public IReadOnlyDictionary<string, byte[]> ExpiredStored { get; init; } = new Dictionary<string, byte[]>();
}
