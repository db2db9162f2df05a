using System.ComponentModel.DataAnnotations;

namespace Tessera;

/// <summary>
/// The near cache (off by default): each app instance keeps the sessions it read recently in memory and
/// answers a repeated read of an unchanged session without reading it from Redis. Redis tells the
/// instance when any key under the prefix changes (<c>CLIENT TRACKING ... BCAST PREFIX</c>, on a
/// connection of the cache's own to each primary), and every read first waits for a <c>PING</c> on each
/// of them to come back, sent after the read began: so every change that finished before the read began
/// has been heard, on whichever instance it was made. What it promises, each a test:
/// <list type="bullet">
/// <item>a read sees every write that finished before it started, on any instance;</item>
/// <item>a revoked, logged-out, rotated or expired session is never served after the revocation returned;</item>
/// <item>a lost, reset or out-of-step invalidation connection empties the cache at once, and reads go to Redis until it is back;</item>
/// <item>on a server without <c>CLIENT TRACKING</c> (Garnet) it stays off, saying so once in the log.</item>
/// </list>
/// A hit costs Redis a share of one <c>PING</c> per primary (reads waiting together share it) instead of
/// an <c>HGETALL</c> and a <c>GET</c>; each write under the prefix costs Redis one invalidation message
/// per instance with the cache on.
/// </summary>
[System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode", Justification = TrimmingJustifications.SourceGeneratedRange)]
public class NearCacheOptions
{
    /// <summary>Whether the near cache is on.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool Enabled { get; set; }

    /// <summary>The most sessions one instance keeps; past it, reads go on but nothing new is kept until entries age out.</summary>
    /// <value>Default 10,000.</value>
    [Range(1, 10_000_000)]
    public int MaxEntries { get; set; } = 10_000;

    /// <summary>
    /// The longest a session is kept after it was read from Redis. Correctness never rests on it (the
    /// invalidations do); it bounds memory held by sessions no longer read. An entry is also dropped as
    /// soon as the session's sliding refresh is due, so it never outlives the session's idle timeout.
    /// </summary>
    /// <value>Default 60 seconds.</value>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromSeconds(60);
}
