namespace Tessera;

/// <summary>The outcome of an atomic operation on one session value.</summary>
/// <param name="Status">Whether the session was there to change.</param>
/// <param name="Value">For an increment, the new value; for set-if-absent, compare-and-set and remove, 1 when it took effect, else 0.</param>
/// <param name="SessionId">The identifier the operation ran on.</param>
public readonly record struct AtomicResult(CommitStatus Status, long Value, string SessionId)
{
    /// <summary>Whether a conditional operation took effect.</summary>
    public bool Succeeded => Status == CommitStatus.Committed && Value != 0;

    /// <summary>For <see cref="CommitStatus.TooLarge"/>, the limit the operation would have passed; otherwise <see cref="SessionSizeLimit.None"/>.</summary>
    public SessionSizeLimit ExceededLimit { get; init; }
}
