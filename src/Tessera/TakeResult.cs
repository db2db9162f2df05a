namespace Tessera;

/// <summary>The outcome of a take (read and remove one value in one step).</summary>
/// <param name="Status">Whether the session was there to take from: <see cref="CommitStatus.Committed"/> when it was (whether or not it held the value).</param>
/// <param name="Value">The value taken, decoded; <see langword="null"/> when the session held none under the key (or nothing was taken).</param>
/// <param name="SessionId">The identifier the take ran on (after a followed rotation, the handle of the session it ran on).</param>
public readonly record struct TakeResult(CommitStatus Status, byte[]? Value, string SessionId)
{
    /// <summary>Whether a value was taken: this caller, and no other, has it.</summary>
    public bool Taken => Status == CommitStatus.Committed && Value is not null;
}
