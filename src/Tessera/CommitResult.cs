namespace Tessera;

/// <summary>The outcome of a write to a session.</summary>
/// <param name="Status">What happened.</param>
/// <param name="SessionId">The identifier the changes were written under (the new one after a rotation was followed).</param>
/// <param name="RotatedTo">The new identifier when the session had been rotated.</param>
public readonly record struct CommitResult(CommitStatus Status, string SessionId, string? RotatedTo = null)
{
    /// <summary>For <see cref="CommitStatus.TooLarge"/>, the limit the write would have passed; otherwise <see cref="SessionSizeLimit.None"/>.</summary>
    public SessionSizeLimit ExceededLimit { get; init; }
}
