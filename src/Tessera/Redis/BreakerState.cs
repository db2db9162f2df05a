namespace Tessera.Redis;

/// <summary>The circuit breaker's one state.</summary>
internal enum BreakerState
{
    /// <summary>Calls go to Redis.</summary>
    Closed = 0,

    /// <summary>Redis stopped answering: calls fail at once while a background probe watches it.</summary>
    Open = 1,
}
