namespace Tessera.Admin;

/// <summary>What one key under the prefix holds, as an admin scan reads it (metadata only, never values).</summary>
public sealed record SessionSummary
{
    /// <summary>The full Redis key.</summary>
    public required string Key { get; init; }

    /// <summary>The session identifier, for sessions and tombstones; otherwise <see langword="null"/>.</summary>
    public string? Id { get; init; }

    /// <summary>What the key holds.</summary>
    public SessionKeyKind Kind { get; init; }

    /// <summary>When the session was created (Redis time).</summary>
    public DateTimeOffset? Created { get; init; }

    /// <summary>When its sliding expiry was last refreshed.</summary>
    public DateTimeOffset? LastAccess { get; init; }

    /// <summary>Its idle timeout.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Its absolute deadline.</summary>
    public DateTimeOffset? AbsoluteDeadline { get; init; }

    /// <summary>Bytes of caller field names and stored values, as Tessera counts them (<c>#s</c>).</summary>
    public long Size { get; init; }

    /// <summary>Bytes Redis reports for the key (<c>MEMORY USAGE</c>), when asked for.</summary>
    public long? MemoryUsage { get; init; }

    /// <summary>The user the session is bound to, if any.</summary>
    public string? UserId { get; init; }

    /// <summary>The remaining time to live, or <see langword="null"/> when the key has none (<c>PTTL</c> -1).</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Whether the key has no expiry at all: left by a bug or a manual write, it never goes away.</summary>
    public bool IsTtlLess => Ttl is null && Kind is not SessionKeyKind.Gone;

    /// <summary>A short, non-reversible tag of the identifier (or of the key), for output that must not show ids.</summary>
    public string Tag => SessionIds.LogTag(Id ?? Key);
}
