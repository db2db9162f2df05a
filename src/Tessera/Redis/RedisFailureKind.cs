namespace Tessera.Redis;

/// <summary>What a failed Redis call means: the one answer every caller acts on.</summary>
internal enum RedisFailureKind
{
    /// <summary>Redis is not answering: a timeout, no connection, or a server that serves nothing now (<c>LOADING</c>, <c>BUSY</c>, <c>MASTERDOWN</c>). Opens the breaker.</summary>
    Unavailable = 0,

    /// <summary>Redis answers but refuses this now (<c>OOM</c>, <c>NOREPLICAS</c>, <c>READONLY</c>, <c>MISCONF</c>, ACL, a slot moving): a 503, and reads go on.</summary>
    Refused = 1,

    /// <summary>A reply that cannot belong to the command that waits for it (the connection's replies are out of step): the connection is dropped and never served from.</summary>
    OutOfStep = 2,

    /// <summary>The key holds data that is not what Tessera wrote (<c>WRONGTYPE</c>, a corrupt hash): no session.</summary>
    Corrupt = 3,

    /// <summary>Anything else: a bug (a script error, a wrong argument). It surfaces as it is.</summary>
    Bug = 4,
}
