namespace Tessera;

/// <summary>The outcome of writing changes to a session.</summary>
public enum CommitStatus
{
    /// <summary>The changes were written.</summary>
    Committed = 0,

    /// <summary>The session no longer exists (logged out, revoked or expired): nothing was written.</summary>
    Gone = 1,

    /// <summary>The session was rotated; the changes belong under <see cref="CommitResult.RotatedTo"/>.</summary>
    Rotated = 2,

    /// <summary>The key holds data that is not a session: nothing was written.</summary>
    Corrupt = 3,

    /// <summary>
    /// The write would make the session larger than <see cref="TesseraOptions.MaxSessionBytes"/> or leave it
    /// more values than <see cref="TesseraOptions.MaxSessionFields"/> (which one: <see cref="CommitResult.ExceededLimit"/>):
    /// nothing was written.
    /// </summary>
    TooLarge = 4,

    /// <summary>A new session could not be created because its key already exists.</summary>
    Conflict = 5,

    /// <summary>A rotation met a "log out everywhere" of its user: the new session was ended too.</summary>
    Revoked = 6,

    /// <summary>
    /// Binding the session to its user would pass <see cref="TesseraOptions.MaxSessionsPerUser"/> with
    /// <see cref="SessionLimitPolicy.DenyNew"/>: nothing was created or bound.
    /// </summary>
    LimitReached = 7,
}
