namespace Tessera.Admin;

/// <summary>What one key under the prefix holds, as an admin scan reads it (metadata only, never values).</summary>
public sealed record SessionSummary
{
    /// <summary>The full Redis key.</summary>
    public required string Key { get; init; }

    /// <summary>
    /// The session's handle (the key's suffix), for sessions and tombstones; otherwise <see langword="null"/>.
    /// Keys are named by <see cref="SessionIds.Handle"/> of the identifier, so this is not a credential:
    /// presented as a cookie it opens nothing.
    /// </summary>
    public string? Handle { get; init; }

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

    /// <summary>Bytes of caller field names and stored values plus 40 per field, as Tessera counts them (<c>#s</c>).</summary>
    public long Size { get; init; }

    /// <summary>Bytes Redis reports for the key (<c>MEMORY USAGE</c>), when asked for.</summary>
    public long? MemoryUsage { get; init; }

    /// <summary>The user the session is bound to, if any.</summary>
    public string? UserId { get; init; }

    /// <summary>The remaining time to live, or <see langword="null"/> when the key has none (<c>PTTL</c> -1).</summary>
    public TimeSpan? Ttl { get; init; }

    /// <summary>Whether the key has no expiry at all: left by a bug or a manual write, it never goes away.</summary>
    public bool IsTtlLess => Ttl is null && Kind is not SessionKeyKind.Gone;

    /// <summary>A short tag of the session (the log tag of its identifier, read from the handle), or of the key.</summary>
    public string Tag => Handle is not null && SessionIds.IsValid(Handle) ? SessionIds.TagOfHandle(Handle) : SessionIds.LogTag(Key);
}
