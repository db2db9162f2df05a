using System.Globalization;

namespace Tessera.Redis;

/// <summary>
/// What the near cache's connection may receive, and nothing else: an invalidation naming keys, an
/// invalidation of everything (a flush: Redis sends a null), or the pong of a <c>PING {token}</c>.
/// </summary>
/// <param name="Keys">The keys that changed; null for "everything" or a pong.</param>
/// <param name="Token">A pong's token; -1 otherwise.</param>
internal readonly record struct InvalidationMessage(IReadOnlyList<string>? Keys, long Token)
{
    /// <summary>Whether it is the pong of a <c>PING</c>.</summary>
    public bool IsPong => Token >= 0;

    /// <summary>Whether every key is to be forgotten (a flush of the database).</summary>
    public bool IsFlush => Token < 0 && Keys is null;

    /// <summary>
    /// Reads a RESP2 frame as a message. In subscribe mode Redis answers <c>PING x</c> with
    /// <c>["pong", x]</c> and delivers <c>["message", "__redis__:invalidate", keys-or-null]</c>.
    /// </summary>
    /// <param name="frame">The frame (strings, longs, nulls, <see cref="RespError"/>s, arrays of those).</param>
    /// <returns>The message.</returns>
    /// <exception cref="RedisReplyException">Anything else.</exception>
    public static InvalidationMessage Parse(object? frame)
    {
        if (frame is RespError error)
        {
            throw new RedisReplyException($"The near cache's connection got an error: {error.Message}");
        }

        if (frame is object?[] { Length: 2 } pong && pong[0] is string p && p.Equals("pong", StringComparison.OrdinalIgnoreCase))
        {
            return pong[1] is string text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var token)
                ? new InvalidationMessage(null, token)
                : throw new RedisReplyException("A pong without a token the near cache sent.");
        }

        if (frame is object?[] { Length: 3 } message && message[0] is string m && m.Equals("message", StringComparison.OrdinalIgnoreCase)
            && message[1] as string == InvalidationConnection.Channel)
        {
            switch (message[2])
            {
                case null:
                    return new InvalidationMessage(null, -1);
                case object?[] keys when keys.All(static k => k is string):
                    return new InvalidationMessage(keys.Cast<string>().ToArray(), -1);
                case string key:
                    return new InvalidationMessage([key], -1);
            }
        }

        throw new RedisReplyException("The near cache's connection got a frame that is neither an invalidation nor a pong.");
    }
}
