using Tessera.Internal;

namespace Tessera.Admin;

/// <summary>The one-key scripts of admin changes; each checks again, atomically, that the change still applies.</summary>
internal static class AdminScripts
{
    /// <summary>
    /// Reads the metadata of many keys of one server in one call (standalone servers only: on a
    /// cluster the keys of a batch span slots). KEYS: the keys. Reply per key: {pttl, {the fields of
    /// <see cref="SessionLayout.MetadataFields"/>, in <see cref="SessionMetadataField"/> order}},
    /// or {pttl, 0} when the key is not a hash. Read-only; about a millisecond per thousand keys.
    /// </summary>
    public static readonly string ReadMetadata = $$"""
        local out = {}
        for n = 1, #KEYS do
          local key = KEYS[n]
          local ttl = redis.call('PTTL', key)
          local ok, m = pcall(redis.call, 'HMGET', key, {{SessionLayout.LuaMetadataFields}})
          if ok then out[n] = {ttl, m} else out[n] = {ttl, 0} end
        end
        return out
        """;

    /// <summary>
    /// Fixes a TTL-less session. KEYS[1] the key; ARGV[1] 'expire' or 'delete'; ARGV[2] TTL in ms.
    /// Acts only when the key is a session hash (the one rule, <c>SessionHash</c>: '#a', '#i' and '#d', no '#r') that still has no TTL. Reply {1, user id or false} when it acted, {0} otherwise.
    /// </summary>
    public static readonly string FixTtlLess = Tessera.Wire.SessionHash.LuaIsSession + $$"""
        local key = KEYS[1]
        if redis.call('PTTL', key) ~= -1 then return {0} end
        local t = redis.call('TYPE', key)
        if (t.ok or t) ~= 'hash' then return {0} end
        if not is_session(key) then return {0} end
        local user = redis.call('HGET', key, '{{SessionLayout.User}}')
        if ARGV[1] == 'delete' then
          redis.call('DEL', key)
        else
          redis.call('PEXPIRE', key, ARGV[2])
        end
        return {1, user}
        """;

    /// <summary>
    /// Deletes a session "everyone at once" ended. KEYS[1] the key; ARGV[1] the epoch (unix ms). Acts only
    /// when the key is a session hash whose '#c' is at or before the epoch (the one rule,
    /// <see cref="EveryoneRevocation"/>). Reply {1, user id or false} when it deleted, {0} otherwise.
    /// </summary>
    public static readonly string DeleteRevoked = Tessera.Wire.SessionHash.LuaIsSession + $$"""
        local key = KEYS[1]
        local t = redis.call('TYPE', key)
        if (t.ok or t) ~= 'hash' then return {0} end
        if not is_session(key) then return {0} end
        local c = tonumber(redis.call('HGET', key, '{{SessionLayout.Created}}')) or 0
        if c > tonumber(ARGV[1]) then return {0} end
        local user = redis.call('HGET', key, '{{SessionLayout.User}}')
        redis.call('DEL', key)
        return {1, user}
        """;
}
