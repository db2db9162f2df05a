namespace Tessera.TestUtils;

/// <summary>An error reply (<c>-ERR ...</c>, <c>-NOPERM ...</c>).</summary>
/// <param name="Message">The error text without the leading dash.</param>
public sealed record RespError(string Message)
{
    /// <inheritdoc/>
    public override string ToString() => Message;
}
