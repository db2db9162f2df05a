using StackExchange.Redis;

namespace Tessera.Internal;

/// <summary>
/// The one rule of "everyone at once" (<see cref="SessionUsers.RevokeEverythingAsync"/>): a session or
/// login whose creation time (<see cref="SessionLayout.Created"/>, Redis <c>TIME</c> at creation, carried
/// over by rotation) is at or before the epoch (<see cref="SessionLayout.EveryoneRevokedKey"/>) does not
/// exist. Every reader that can serve or extend a session asks it: the load, the commit, the atomics,
/// the device listing and the liveness check of live connections; each reads the epoch in the same
/// pipelined batch as its own command, so it costs no round trip.
/// </summary>
internal static class EveryoneRevocation
{
    /// <summary>The epoch as stored, or null when there is none (never revoked) or it is not a number.</summary>
    /// <param name="stored">The reply of <c>GET {prefix}everyone-revoked</c>.</param>
    /// <returns>Unix ms, or null.</returns>
    public static long? EpochOf(RedisValue stored) => !stored.IsNull && stored.TryParse(out long epoch) ? epoch : null;

    /// <summary>Whether a session created at <paramref name="createdMs"/> is dead by the epoch.</summary>
    /// <param name="createdMs">The session's <c>#c</c>, unix ms (0 when it has none: then any epoch ends it).</param>
    /// <param name="epoch">The epoch, or null.</param>
    /// <returns><see langword="true"/> when the session was created at or before the epoch.</returns>
    public static bool Ends(long createdMs, long? epoch) => epoch is { } e && createdMs <= e;
}
