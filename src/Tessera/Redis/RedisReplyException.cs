namespace Tessera.Redis;

/// <summary>
/// A reply whose shape cannot be the answer to the command that was sent (a script that returns a
/// status array answered with a string, a reply for another key): the connection is out of step.
/// </summary>
internal sealed class RedisReplyException : Exception
{
    public RedisReplyException()
        : base("A Redis reply did not match the command it answered.")
    {
    }

    public RedisReplyException(string message)
        : base(message)
    {
    }

    public RedisReplyException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
