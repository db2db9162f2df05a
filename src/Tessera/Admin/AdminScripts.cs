namespace Tessera.Admin;

/// <summary>The one-key scripts of admin changes; each checks again, atomically, that the change still applies.</summary>
internal static class AdminScripts
{
    /// <summary>
    /// Fixes a TTL-less session. KEYS[1] the key; ARGV[1] 'expire' or 'delete'; ARGV[2] TTL in ms.
    /// Acts only when the key is a session hash (it has '#c') that still has no TTL. Reply {1, user id or false} when it acted, {0} otherwise.
    /// </summary>
    public const string FixTtlLess = """
        local key = KEYS[1]
        if redis.call('PTTL', key) ~= -1 then return {0} end
        local t = redis.call('TYPE', key)
        if (t.ok or t) ~= 'hash' then return {0} end
        if redis.call('HEXISTS', key, '#c') == 0 then return {0} end
        local user = redis.call('HGET', key, '#u')
        if ARGV[1] == 'delete' then
          redis.call('DEL', key)
        else
          redis.call('PEXPIRE', key, ARGV[2])
        end
        return {1, user}
        """;
}
