namespace Tessera.TestUtils;

/// <summary>What a <see cref="FaultProxy"/> that inspects replies does to every Nth reply frame.</summary>
public enum ReplyFault
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>The reply is written twice: the server answered one command twice (Garnet 2.2.8 does this for an unknown command whose frame arrives in two reads).</summary>
    Duplicate = 1,

    /// <summary>The reply is never written: every later reply on the connection answers the command before it.</summary>
    Drop = 2,

    /// <summary>An array reply (a script's, a hash's) is replaced by <c>-ERR injected fault</c>: the server refused the command with an error Tessera does not know.</summary>
    ArrayError = 3,
}
