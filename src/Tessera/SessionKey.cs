using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera;

/// <summary>
/// A session as one request addresses it: the identifier it came with (or, after following a
/// rotation, the handle it was forwarded to), its handle (hashed once, <see cref="SessionIds.Handle"/>)
/// and the Redis key named by the handle. Built once per call; every step of the request path uses it.
/// </summary>
/// <param name="Id">The identifier, or the handle for a session addressed by its handle.</param>
/// <param name="Handle">The handle.</param>
/// <param name="Key">The Redis key: <c>{prefix}{handle}</c>.</param>
internal readonly record struct SessionKey(string Id, string Handle, RedisKey Key)
{
    /// <summary>The log tag of the session (the same from its identifier or its handle).</summary>
    public string Tag => SessionIds.TagOfHandle(Handle);

    /// <summary>The key of a session identifier: checks it, hashes it once.</summary>
    /// <param name="id">A well-formed session identifier.</param>
    /// <param name="prefix">The key prefix.</param>
    /// <returns>The key.</returns>
    /// <exception cref="ArgumentException"><paramref name="id"/> is not a well-formed identifier.</exception>
    public static SessionKey OfId(string id, string prefix)
    {
        ThrowIfMalformed(id);
        var handle = SessionIds.Handle(id);
        return new SessionKey(id, handle, SessionLayout.SessionKey(prefix, handle));
    }

    /// <summary>The key of a session named by its handle (a tombstone's forward, an operator's or a device list's handle).</summary>
    /// <param name="handle">A well-formed handle.</param>
    /// <param name="prefix">The key prefix.</param>
    /// <returns>The key; its <see cref="Id"/> is the handle.</returns>
    /// <exception cref="ArgumentException"><paramref name="handle"/> is not a well-formed handle.</exception>
    public static SessionKey OfHandle(string handle, string prefix)
    {
        ThrowIfMalformed(handle);
        return new SessionKey(handle, handle, SessionLayout.SessionKey(prefix, handle));
    }

    /// <summary>Throws unless the text is a well-formed identifier (or handle: the same shape).</summary>
    /// <param name="id">The text.</param>
    /// <exception cref="ArgumentException">It is not.</exception>
    public static void ThrowIfMalformed(string id)
    {
        if (!SessionIds.IsValid(id))
        {
            throw new ArgumentException("Not a well-formed session identifier.", nameof(id));
        }
    }
}
