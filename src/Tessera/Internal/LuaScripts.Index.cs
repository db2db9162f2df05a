
namespace Tessera.Internal;

/// <summary>The user index scripts (add, list, take, confirm, the revocation mark), logout, and an identity provider session's logins.</summary>
internal static partial class LuaScripts
{
    /// <summary>
    /// Adds a session to its user's index, drops members past their score, and applies the per-user
    /// device limit in the same step. KEYS[1] user index; ARGV[1] the member (a handle, or
    /// '~' + handle for a login's companion); ARGV[2] score (the absolute deadline, unix ms); ARGV[3]
    /// a handle whose members to remove (the one it replaced), or ''; ARGV[4] the device limit (0: none);
    /// ARGV[5] 'deny' or 'evict'; ARGV[6] a handle not to count (the session a rotation replaces), or ''.
    /// Companions and members already present are never limited. Evicted devices stay in the index
    /// (the store removes each after ending it). Reply {1, {handles to evict}},
    /// {LimitReached, count}, or {-1} for a key of another type. The index expires with its latest member.
    /// </summary>
    public static readonly string IndexAdd = Prelude + $$$"""
        local key = KEYS[1]
        local t = redis.call('TYPE', key).ok
        if t ~= 'zset' and t ~= 'none' then return {{{{(int)ScriptStatus.Corrupt}}}} end
        local now = now_ms()
        redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
        if ARGV[3] ~= '' then redis.call('ZREM', key, ARGV[3], '{{{SessionLayout.CompanionMark}}}' .. ARGV[3]) end
        local member, max = ARGV[1], tonumber(ARGV[4])
        local mark = '{{{SessionLayout.CompanionMark}}}'
        -- A companion stays one: re-scoring it by its handle keeps its form; becoming one drops the plain form.
        if string.byte(member, 1) ~= {{{(int)SessionLayout.CompanionMark}}} and redis.call('ZSCORE', key, mark .. member) then member = mark .. member end
        if string.byte(member, 1) == {{{(int)SessionLayout.CompanionMark}}} then redis.call('ZREM', key, string.sub(member, 2)) end
        local evicted = {}
        if max > 0 and string.byte(member, 1) ~= {{{(int)SessionLayout.CompanionMark}}} and not redis.call('ZSCORE', key, member) then
          local roots = {}
          for _, m in ipairs(redis.call('ZRANGE', key, 0, -1)) do
            if string.byte(m, 1) ~= {{{(int)SessionLayout.CompanionMark}}} and m ~= ARGV[6] then roots[#roots + 1] = m end
          end
          if #roots >= max then
            if ARGV[5] ~= 'evict' then return {{{{(int)ScriptStatus.LimitReached}}}, #roots} end
            -- Named, not removed: the store takes each out of the index once it has ended it, so a
            -- failure in between leaves a live device listed (and evicted again by the next sign-in).
            for n = 1, #roots - max + 1 do evicted[#evicted + 1] = roots[n] end
          end
        end
        redis.call('ZADD', key, ARGV[2], member)
        local last = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
        redis.call('PEXPIREAT', key, tonumber(last[2]))
        return {{{{(int)ScriptStatus.Ok}}}, evicted}
        """;

    /// <summary>
    /// The members of a user's index that may still be live, after dropping those past their score.
    /// KEYS[1] user index. Reply {now, {id, score, ...}}.
    /// </summary>
    public static readonly string IndexList = Prelude + $$$"""
        local key = KEYS[1]
        local now = now_ms()
        local t = redis.call('TYPE', key).ok
        if t ~= 'zset' then return {now, {}} end
        redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
        return {now, redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')}
        """;

    /// <summary>
    /// Marks that every session of a user is being revoked now. KEYS[1] the user's revocation mark;
    /// ARGV[1] its lifetime ms. Reply: the time written (unix ms).
    /// </summary>
    public static readonly string MarkRevoked = Prelude + $$$"""
        local now = now_ms()
        redis.call('SET', KEYS[1], now, 'PX', ARGV[1])
        return now
        """;

    /// <summary>
    /// "Everyone at once": moves the epoch (<see cref="SessionLayout.EveryoneRevokedKey"/>) to the later of
    /// now by this server's clock and ARGV[1] (the fastest clock of the other primaries, unix ms; 0 when
    /// unknown), never backwards, with no expiry (a session created before it may live as long as its
    /// deadline). KEYS[1] the epoch key. Reply {epoch stored, now}.
    /// </summary>
    public static readonly string MarkEveryoneRevoked = Prelude + $$$"""
        local now = now_ms()
        local at = math.max(now, tonumber(ARGV[1]) or 0)
        local cur = tonumber(redis.call('GET', KEYS[1]))
        if not cur or at > cur then
          redis.call('SET', KEYS[1], at)
          cur = at
        end
        return {cur, now}
        """;

    /// <summary>The clock of the server that holds KEYS[1] (unix ms), for a caller that waits for it to pass a time it wrote.</summary>
    public static readonly string ServerNow = Prelude + """
        return now_ms()
        """;

    /// <summary>
    /// Takes a user's index for "log out everywhere": returns every member and deletes the index in
    /// one step, so a member added later (a sign-in or rotation in progress) is not silently kept:
    /// that rotation's confirmation (<see cref="IndexConfirm"/>) finds its member gone and ends the
    /// new session itself. KEYS[1] user index. Reply {now, {id, ...}}.
    /// </summary>
    public static readonly string IndexTake = Prelude + $$$"""
        local key = KEYS[1]
        local now = now_ms()
        if redis.call('TYPE', key).ok ~= 'zset' then return {now, {}} end
        local members = redis.call('ZRANGE', key, 0, -1)
        redis.call('DEL', key)
        return {now, members}
        """;

    /// <summary>
    /// The last step of a rotation of a user's session: confirms that the new id is still indexed (a
    /// "log out everywhere" that took the index meanwhile removed it) and drops the id it replaced.
    /// KEYS[1] user index; ARGV[1] the new member; ARGV[2] replaced handle or '' (both its forms are
    /// dropped). Reply 1 confirmed, 0 revoked.
    /// </summary>
    public static readonly string IndexConfirm = $$$"""
        if redis.call('TYPE', KEYS[1]).ok ~= 'zset' and redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
        if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 0 end
        if ARGV[2] ~= '' then redis.call('ZREM', KEYS[1], ARGV[2], '{{{SessionLayout.CompanionMark}}}' .. ARGV[2]) end
        return 1
        """;

    /// <summary>
    /// Deletes a session and tells which user it was bound to, in one round trip. KEYS[1] session
    /// key. Reply {deleted (0|1), user id or false, id a tombstone pointed to or false}. A tombstone
    /// is deleted too and names the session it forwarded to, so the caller ends that one as well
    /// (logging out with a rotated-away cookie ends the session, not only its forwarding pointer).
    /// A key that is not a session hash is left alone.
    /// </summary>
    public static readonly string Delete = $$$"""
        local ok, u = pcall(redis.call, 'HGET', KEYS[1], '{{{SessionLayout.User}}}')
        if not ok then return {{{{(int)ScriptStatus.NotFound}}}, false, false} end
        local r = redis.call('HGET', KEYS[1], '{{{SessionLayout.RotatedTo}}}')
        if r then
          redis.call('DEL', KEYS[1])
          return {{{{(int)ScriptStatus.NotFound}}}, false, r}
        end
        if redis.call('HEXISTS', KEYS[1], '{{{SessionLayout.Created}}}') == 0 then return {{{{(int)ScriptStatus.NotFound}}}, false, false} end
        return {redis.call('DEL', KEYS[1]), u, false}
        """;

    /// <summary>
    /// Adds a member (a login handle) to an identity provider session's set and keeps the key until the
    /// later of its current expiry and ARGV[2] (unix ms). KEYS[1] the set (<see cref="SessionLayout.IdpSessionKey"/>).
    /// </summary>
    public const string SetAddUntil = """
        redis.call('SADD', KEYS[1], ARGV[1])
        local at = tonumber(ARGV[2])
        local ttl = redis.call('PTTL', KEYS[1])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        if ttl < 0 or now + ttl < at then redis.call('PEXPIREAT', KEYS[1], at) end
        return 1
        """;

    /// <summary>Returns a set's members and deletes it in one step. KEYS[1] the set.</summary>
    public const string SetTake = """
        local m = redis.call('SMEMBERS', KEYS[1])
        redis.call('DEL', KEYS[1])
        return m
        """;
}
