namespace Tessera.Internal;

/// <summary>The device scripts: a device's name written by its user, and a user's known devices.</summary>
internal static partial class LuaScripts
{
    /// <summary>
    /// Sets (or, with an empty value, removes) one device field of a live session bound to a user,
    /// without sliding it: naming a device from another one is not using it. KEYS[1] session key;
    /// ARGV[1] the field (<see cref="SessionLayout.DeviceName"/>); ARGV[2] the value, '' to remove;
    /// ARGV[3] the user the session must be bound to. Reply {1} when written, {NotFound} when the session
    /// is gone, a tombstone or bound to someone else, {Corrupt} for a key that is not a session.
    /// </summary>
    public static readonly string DeviceFieldSet = Prelude + $$$"""
        local key = KEYS[1]
        local st = meta(key)
        if st == {{{(int)ScriptStatus.Rotated}}} then return {{{{(int)ScriptStatus.NotFound}}}} end
        if st ~= {{{(int)ScriptStatus.Ok}}} then return {st} end
        if redis.call('HGET', key, '{{{SessionLayout.User}}}') ~= ARGV[3] then return {{{{(int)ScriptStatus.NotFound}}}} end
        if ARGV[2] == '' then
          redis.call('HDEL', key, ARGV[1])
        else
          redis.call('HSET', key, ARGV[1], ARGV[2])
        end
        return {{{{(int)ScriptStatus.Ok}}}}
        """;

    /// <summary>
    /// Records that a browser signed in as a user, and says whether it had not before. KEYS[1] the user's
    /// known devices (<see cref="SessionLayout.KnownDevicesKey"/>), a sorted set of
    /// <see cref="SessionLayout.KnownDeviceMember"/> scored by when each is forgotten; ARGV[1] the member;
    /// ARGV[2] how long it is remembered, ms; ARGV[3] how many are kept at most (the soonest forgotten go
    /// first). Drops the forgotten, adds or re-scores the member, and keeps the key as long as its latest
    /// member. Reply {1, new (1|0)}, or {Corrupt} for a key of another type.
    /// </summary>
    public static readonly string KnownDeviceSeen = Prelude + $$$"""
        local key = KEYS[1]
        local t = redis.call('TYPE', key).ok
        if t ~= 'zset' and t ~= 'none' then return {{{{(int)ScriptStatus.Corrupt}}}} end
        local now = now_ms()
        redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
        local known = redis.call('ZSCORE', key, ARGV[1])
        local until_ms = now + tonumber(ARGV[2])
        redis.call('ZADD', key, until_ms, ARGV[1])
        local max = tonumber(ARGV[3])
        local count = redis.call('ZCARD', key)
        -- ZRANGE and ZREM, not ZREMRANGEBYRANK: the shipped app ACL (deploy/redis-sessions.conf) allows those.
        if count > max then redis.call('ZREM', key, unpack(redis.call('ZRANGE', key, 0, count - max - 1))) end
        local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
        redis.call('PEXPIREAT', key, tonumber(last[2]))
        if known then return {{{{(int)ScriptStatus.Ok}}}, 0} end
        return {{{{(int)ScriptStatus.Ok}}}, 1}
        """;
}
