namespace Tessera.Admin;

/// <summary>Which sessions a listing returns; every set condition must hold.</summary>
public sealed record SessionFilter
{
    /// <summary>Only sessions bound to this user.</summary>
    public string? UserId { get; init; }

    /// <summary>Only sessions not used for longer than this (Redis time minus last access).</summary>
    public TimeSpan? IdleLongerThan { get; init; }

    /// <summary>Only sessions larger than this many bytes (<c>#s</c>).</summary>
    public long? LargerThan { get; init; }

    /// <summary>Only sessions without any expiry.</summary>
    public bool TtlLessOnly { get; init; }

    /// <summary>Whether a session passes.</summary>
    /// <param name="session">The session.</param>
    /// <param name="now">Redis time.</param>
    /// <returns><see langword="true"/> when every condition holds.</returns>
    public bool Matches(SessionSummary session, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(session);
        return session.Kind == SessionKeyKind.Session
            && (UserId is null || string.Equals(session.UserId, UserId, StringComparison.Ordinal))
            && (IdleLongerThan is not { } idle || (session.LastAccess is { } last && now - last > idle))
            && (LargerThan is not { } bytes || session.Size > bytes)
            && (!TtlLessOnly || session.IsTtlLess);
    }
}
