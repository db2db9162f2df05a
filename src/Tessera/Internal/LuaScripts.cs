namespace Tessera.Internal;

/// <summary>
/// The Lua scripts behind every session operation. Each touches exactly one key, so each is
/// single-slot on Redis Cluster. They read the clock with TIME, so every app server agrees on now.
/// StackExchange.Redis sends them with EVALSHA and reloads them on NOSCRIPT.
/// Replies start with a status (<see cref="ScriptStatus"/>, interpolated into the scripts): -2 bad value,
/// -1 corrupt, 0 not found, 1 ok, 2 rotated (then the new session's handle), 3 absolute deadline passed
/// (the key was deleted), 4 too large (bytes), 5 conflict, 6 too many fields. Field names and the per-field
/// overhead of the size come from <see cref="SessionLayout"/>.
/// </summary>
internal static partial class LuaScripts
{
    /// <summary>
    /// The sliding refresh of a read, sent only when the app finds it due. KEYS[1] session key; ARGV[1]
    /// fixed refresh granularity in ms (0: a twentieth of the idle timeout, at most a minute); ARGV[2],
    /// ARGV[3] optional: the client address and user agent seen ('#lip', '#lua'). Writes
    /// only a live session's '#a' (and those) and TTL, and only when due: never creates a key, never lengthens a
    /// tombstone, deletes a session past its absolute deadline. Reply: <see cref="ScriptStatus.Ok"/> (refreshed
    /// or not due), else the session's status.
    /// </summary>
    public static readonly string Refresh = Prelude + $$$"""
        local key = KEYS[1]
        local st, a, i, d = meta(key)
        if st ~= {{{(int)ScriptStatus.Ok}}} then return st end
        local now = now_ms()
        if now >= d then
          redis.call('DEL', key)
          return {{{(int)ScriptStatus.Expired}}}
        end
        if now - a < gran_for(i, tonumber(ARGV[1])) then return {{{(int)ScriptStatus.Ok}}} end
        redis.call('HSET', key, '{{{SessionLayout.LastAccess}}}', now)
        if ARGV[2] and ARGV[2] ~= '' then redis.call('HSET', key, '{{{SessionLayout.LastClientIp}}}', ARGV[2]) end
        if ARGV[3] and ARGV[3] ~= '' then redis.call('HSET', key, '{{{SessionLayout.LastUserAgent}}}', ARGV[3]) end
        expire_at(key, now, i, d)
        return {{{(int)ScriptStatus.Ok}}}
        """;

    /// <summary>
    /// Writes a delta to a live session, never recreating one that is gone. KEYS[1] session key;
    /// ARGV[1] clear flag (1: remove every caller value first); ARGV[2] max bytes (0: no limit);
    /// ARGV[3] max caller fields (0: no limit); ARGV[4] number of fields to set (n); then n field/value
    /// pairs; then the fields to remove. Metadata fields ('#i', '#u', ...) may be set the same way by the
    /// library, never by callers. Nothing is written unless every check passes; a limit refuses only a
    /// commit that grows what it bounds, so a session over a limit can shrink. Reply {1, now, size, created}
    /// (the app ends the session when created is at or before the "everyone at once" epoch it read beside),
    /// {4, size} over the byte limit, {6, fields} over the field limit.
    /// </summary>
    public static readonly string Commit = Prelude + $$$"""
        local key = KEYS[1]
        local st, a, i, d, s, c = meta(key)
        if st ~= {{{(int)ScriptStatus.Ok}}} then return {st, a} end
        local now = now_ms()
        if now >= d then
          redis.call('DEL', key)
          return {{{{(int)ScriptStatus.Expired}}}}
        end
        local clear = ARGV[1] == '1'
        local max, maxf = tonumber(ARGV[2]), tonumber(ARGV[3])
        local before = s
        local nset = tonumber(ARGV[4])
        local cleared = nil
        -- Caller fields added less those removed: HSTRLEN (which the size needs anyway) tells which exist.
        local grown = 0
        if clear then
          cleared = {}
          local fields = redis.call('HKEYS', key)
          for _, f in ipairs(fields) do
            if is_user(f) then cleared[#cleared + 1] = f end
          end
          s = 0
        end
        local last = 4 + 2 * nset
        for n = 5, last, 2 do
          local f, v = ARGV[n], ARGV[n + 1]
          if is_user(f) then
            if clear then
              grown = grown + 1
            else
              local old = field_size(key, f)
              if old == 0 then grown = grown + 1 end
              s = s - old
            end
            s = s + entry_size(f, string.len(v))
          elseif f == '{{{SessionLayout.IdleMs}}}' then
            i = tonumber(v)
          elseif f == '{{{SessionLayout.Deadline}}}' then
            d = tonumber(v)
          end
        end
        if clear then
          grown = grown - #cleared
        else
          for n = last + 1, #ARGV do
            local old = field_size(key, ARGV[n])
            if old > 0 then grown = grown - 1 end
            s = s - old
          end
        end
        if s < 0 then s = 0 end
        -- Over a limit only refuses a commit that grows the session: one that shrinks it goes through.
        if max > 0 and s > max and s > before then return {{{{(int)ScriptStatus.TooLarge}}}, s} end
        if maxf > 0 and grown > 0 then
          local count = (cleared and #cleared or user_fields(key)) + grown
          if count > maxf then return {{{{(int)ScriptStatus.TooManyFields}}}, count} end
        end
        -- In chunks: unpack has a limit (about 8,000 values), and a wide session has more fields.
        if cleared then
          for n = 1, #cleared, 1000 do
            redis.call('HDEL', key, unpack(cleared, n, math.min(n + 999, #cleared)))
          end
        end
        for n = 5, last, 2 do
          local v = ARGV[n + 1]
          if ARGV[n] == '{{{SessionLayout.AuthenticatedAt}}}' and v == '{{{SessionLayout.Now}}}' then v = now end
          redis.call('HSET', key, ARGV[n], v)
        end
        for n = last + 1, #ARGV do
          redis.call('HDEL', key, ARGV[n])
        end
        redis.call('HSET', key, '{{{SessionLayout.LastAccess}}}', now, '{{{SessionLayout.Size}}}', s)
        expire_at(key, now, i, d)
        return {{{{(int)ScriptStatus.Ok}}}, now, s, c}
        """;

    /// <summary>
    /// Creates a session, never overwriting a key that exists. KEYS[1] session key; ARGV[1] idle
    /// timeout ms; ARGV[2] absolute lifetime ms; ARGV[3] max bytes (0: no limit); ARGV[4] max caller
    /// fields (0: no limit); then field/value pairs (caller values, each once, and metadata such as
    /// '#u'). Metadata pairs '#c', '#i' and '#d' override the defaults (rotation carries the old
    /// session's creation time and deadline over); '#ii' (the identifier issued) is always now, stored only when it is
    /// not '#c' (<see cref="SessionLayout.IdIssued"/>). Reply {1, now, size}, {5} when the key exists,
    /// {4, size} over the byte limit, {6, fields} over the field limit.
    /// </summary>
    public static readonly string Create = Prelude + $$$"""
        local key = KEYS[1]
        if redis.call('EXISTS', key) == 1 then return {{{{(int)ScriptStatus.Conflict}}}} end
        local now = now_ms()
        local idle, max, maxf = tonumber(ARGV[1]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local c, d = now, now + tonumber(ARGV[2])
        local s, count = 0, 0
        for n = 5, #ARGV, 2 do
          local f = ARGV[n]
          if is_user(f) then
            s = s + entry_size(f, string.len(ARGV[n + 1]))
            count = count + 1
          elseif f == '{{{SessionLayout.IdleMs}}}' then idle = tonumber(ARGV[n + 1])
          elseif f == '{{{SessionLayout.Created}}}' then c = tonumber(ARGV[n + 1])
          elseif f == '{{{SessionLayout.Deadline}}}' then d = tonumber(ARGV[n + 1]) end
        end
        if max > 0 and s > max then return {{{{(int)ScriptStatus.TooLarge}}}, s} end
        if maxf > 0 and count > maxf then return {{{{(int)ScriptStatus.TooManyFields}}}, count} end
        if now >= d then return {{{{(int)ScriptStatus.Expired}}}} end
        redis.call('HSET', key, '{{{SessionLayout.Created}}}', c, '{{{SessionLayout.LastAccess}}}', now, '{{{SessionLayout.IdleMs}}}', idle, '{{{SessionLayout.Deadline}}}', d, '{{{SessionLayout.Size}}}', s)
        -- '#ii': a new identifier is issued now, whether the session is new or rotated (which keeps '#c').
        -- Stored only when it differs from '#c' (a rotation): absent, it is '#c' (every reader says so).
        if c ~= now then redis.call('HSET', key, '{{{SessionLayout.IdIssued}}}', now) end
        for n = 5, #ARGV, 2 do
          local f = ARGV[n]
          local v = ARGV[n + 1]
          if f == '{{{SessionLayout.AuthenticatedAt}}}' and v == '{{{SessionLayout.Now}}}' then v = now end
          if f ~= '{{{SessionLayout.Created}}}' and f ~= '{{{SessionLayout.IdleMs}}}' and f ~= '{{{SessionLayout.Deadline}}}' and f ~= '{{{SessionLayout.IdIssued}}}' then redis.call('HSET', key, f, v) end
        end
        expire_at(key, now, idle, d)
        return {{{{(int)ScriptStatus.Ok}}}, now, s}
        """;

    /// <summary>
    /// One atomic operation on one field of a live session, with the existence check and the
    /// sliding refresh, in one round trip (a counter bump is <see cref="Increment"/>). KEYS[1] session key;
    /// ARGV[1] op ('setnx', 'cas', 'del', 'take'); ARGV[2] field; ARGV[3], ARGV[4] operands; ARGV[5] max bytes (0: no limit); ARGV[6]
    /// refresh granularity as for Load; ARGV[7] max caller fields (0: no limit), counted only when the
    /// op would add the field. The size ('#s') is written only when it changed, and the sliding refresh
    /// only when due, so a counter bump writes as little as it can. Over a limit: {4, size} or {6, fields}.
    /// Every Ok reply ends with the session's created time (see <see cref="Commit"/>).
    /// ARGV[8] now by the app's clock (unix ms), by which a value's own lifetime is judged: a value past it is
    /// absent to setnx and cas (and replaced by them).
    /// setnx: ARGV[3] value, reply {1, now, 1|0, created}. cas: ARGV[3] expected (empty: absent), ARGV[4] new
    /// value (compared with the stored bytes, or with them less their deadline), reply {1, now, 1|0, created}. del: reply {1, now, 1|0, created}. take: reply {1, now, the stored bytes removed, or nil, created}
    /// (the read and the remove in one step; no native <c>HGETDEL</c>, which would skip the checks above).
    /// </summary>
    public static readonly string Atomic = Prelude + $$$"""
        local key = KEYS[1]
        local st, a, i, d, s, c = meta(key)
        if st ~= {{{(int)ScriptStatus.Ok}}} then return {st, a} end
        local now = now_ms()
        if now >= d then
          redis.call('DEL', key)
          return {{{{(int)ScriptStatus.Expired}}}}
        end
        local op, f, max, maxf, vnow = ARGV[1], ARGV[2], tonumber(ARGV[5]), tonumber(ARGV[7]), tonumber(ARGV[8])
        local old = field_size(key, f)
        local new = old
        local result
        -- The op would add the field: refused when the session holds as many as the limit already.
        local function full()
          if old > 0 or maxf <= 0 then return nil end
          local count = user_fields(key) + 1
          if count > maxf then return count end
          return nil
        end
        if op == 'setnx' then
          if old > 0 and not expired(redis.call('HGET', key, f), vnow) then
            result = 0
          else
            new = entry_size(f, string.len(ARGV[3]))
            if max > 0 and s - old + new > max then return {{{{(int)ScriptStatus.TooLarge}}}, s} end
            local count = full()
            if count then return {{{{(int)ScriptStatus.TooManyFields}}}, count} end
            redis.call('HSET', key, f, ARGV[3])
            result = 1
          end
        elseif op == 'cas' then
          local cur = redis.call('HGET', key, f)
          local gone = not cur or expired(cur, vnow)
          local matches = (ARGV[3] == '' and gone) or (cur and (cur == ARGV[3] or (not gone and without_deadline(cur) == ARGV[3])))
          if not matches then
            result = 0
          else
            new = entry_size(f, string.len(ARGV[4]))
            if max > 0 and s - old + new > max then return {{{{(int)ScriptStatus.TooLarge}}}, s} end
            local count = full()
            if count then return {{{{(int)ScriptStatus.TooManyFields}}}, count} end
            redis.call('HSET', key, f, ARGV[4])
            result = 1
          end
        elseif op == 'del' then
          result = redis.call('HDEL', key, f)
          new = 0
        elseif op == 'take' then
          -- Read and remove in one step: of two takes of one value, exactly one gets it.
          result = redis.call('HGET', key, f)
          if result then redis.call('HDEL', key, f) end
          new = 0
        else
          return redis.error_reply('ERR Tessera: unknown atomic operation')
        end
        local s2 = s - old + new
        if s2 < 0 then s2 = 0 end
        if s2 ~= s then redis.call('HSET', key, '{{{SessionLayout.Size}}}', s2) end
        if now - a >= gran_for(i, tonumber(ARGV[6])) then
          redis.call('HSET', key, '{{{SessionLayout.LastAccess}}}', now)
          expire_at(key, now, i, d)
        end
        return {{{{(int)ScriptStatus.Ok}}}, now, result, c}
        """;

    /// <summary>
    /// Conditional rewrite of values (re-encryption after a key rotation) and removal of values found past
    /// their own lifetime. KEYS[1] session key; ARGV triples field, bytes as read, new bytes (empty: remove):
    /// each field is set (or removed) only if it still holds the bytes as read, and the size follows. Nothing
    /// is written to a session that is gone or a tombstone. Reply: fields rewritten or removed.
    /// </summary>
    public static readonly string Rewrite = Prelude + $$$"""
        local key = KEYS[1]
        local st, a, i, d, s = meta(key)
        if st ~= {{{(int)ScriptStatus.Ok}}} then return 0 end
        local n = 0
        for k = 1, #ARGV, 3 do
          local f = ARGV[k]
          if is_user(f) and redis.call('HGET', key, f) == ARGV[k + 1] then
            if ARGV[k + 2] == '' then
              redis.call('HDEL', key, f)
              s = s - entry_size(f, string.len(ARGV[k + 1]))
            else
              redis.call('HSET', key, f, ARGV[k + 2])
              s = s + string.len(ARGV[k + 2]) - string.len(ARGV[k + 1])
            end
            n = n + 1
          end
        end
        if s < 0 then s = 0 end
        if n > 0 then redis.call('HSET', key, '{{{SessionLayout.Size}}}', s) end
        return n
        """;

    /// <summary>
    /// Session loads that meet, in one call (<see cref="Redis.ReadBatcher"/>; a server that is not a Cluster): the
    /// "everyone at once" epoch, then each session's hash as <c>HGETALL</c> gives it. Reads only. KEYS[1..n] the
    /// sessions' keys, KEYS[n + 1] the epoch (<see cref="SessionLayout.EveryoneRevokedKey"/>). Reply {epoch or nil,
    /// hash 1, ..., hash n}, each hash a flat field, value list (empty when there is no key), or, for a key that is
    /// not a hash, the error Redis raised as a string (that read alone fails, as its own <c>HGETALL</c> would: an
    /// error nested in an array is not a reply StackExchange.Redis reads). No prelude: it needs none.
    /// </summary>
    public static readonly string ReadMany = """
        local n = #KEYS - 1
        local out = {redis.call('GET', KEYS[n + 1])}
        for j = 1, n do
          local ok, h = pcall(redis.call, 'HGETALL', KEYS[j])
          if ok then out[j + 1] = h elseif type(h) == 'table' and h.err then out[j + 1] = h.err else out[j + 1] = tostring(h) end
        end
        return out
        """;

    /// <summary>
    /// Counter bumps, one or many sessions' in one call (<see cref="Redis.CounterBatcher"/>): each is the existence check,
    /// the atomic <c>HINCRBY</c> and the sliding refresh of one session, run one after another, each on its own: a
    /// bump that fails (a corrupt session, a value that is not an integer, an error Redis raises) fails alone, and
    /// never one that came before it in the call. KEYS[1..n] the sessions' keys (n bumps), and KEYS[n + 1] (on a
    /// server that is not a Cluster, where all keys are on one node) the "everyone at once" epoch
    /// (<see cref="SessionLayout.EveryoneRevokedKey"/>): read once for the call, before anything is written (the call
    /// was sent after every bump in it began), a session created at or before it is refused as not found and
    /// nothing is written to it (on a Cluster the app reads the epoch beside the call and ends the session itself).
    /// ARGV[1] max bytes (0: no limit); ARGV[2] refresh granularity as for Refresh; ARGV[3] max caller fields (0: no
    /// limit); ARGV[4] the app's clock, unix ms: Redis's <c>TIME</c> is read (once for the call), and the refresh and
    /// the deadline decided on it, only when that clock says either may be due (the rule of a read, whose refresh the
    /// app's clock gates: an app server whose clock lags by more than the granularity refreshes late, never
    /// lengthens a session; the key's expiry, never past '#d', keeps the deadline); the same clock judges a value's
    /// own lifetime: a value past it is removed first (with '#s') and the counter starts from 0. Then per bump
    /// ARGV[3 + 2j] its field and ARGV[4 + 2j] its delta. The limits are read only when the counter is new: bumping
    /// one that exists costs nothing more. Built on <see cref="LeanPrelude"/> (only the helpers it calls: every
    /// helper is a closure made again on every call, so a call of many bumps makes them once). Reply: one reply per
    /// bump, in order: {1, now (Redis's when read, else the app's), new value, created}; {-2} when the value is not
    /// an integer; the error as a string when Redis raised one for that bump (an error nested in an array is not a
    /// reply StackExchange.Redis reads).
    /// </summary>
    public static readonly string Increment = LeanPrelude + $$$"""
        local max, gran, maxf, hint = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local n = (#ARGV - 4) / 2
        local epoch
        -- The same rule as EveryoneRevocation.Ends: created at or before the epoch (0 when unknown) is dead. A GET
        -- that fails here fails the whole call before it wrote anything.
        if #KEYS > n then epoch = tonumber(redis.call('GET', KEYS[n + 1])) end
        local clock
        local function bump(key, f, delta)
          local m = redis.pcall('HMGET', key, '{{{SessionLayout.LastAccess}}}', '{{{SessionLayout.IdleMs}}}', '{{{SessionLayout.Deadline}}}', '{{{SessionLayout.RotatedTo}}}', f, '{{{SessionLayout.Created}}}')
          if m.err then return {{{{(int)ScriptStatus.Corrupt}}}} end
          if m[4] then return {{{{(int)ScriptStatus.Rotated}}}, m[4]} end
          local a, i, d = tonumber(m[1]), tonumber(m[2]), tonumber(m[3])
          if not (a and i and d) then
            if redis.call('EXISTS', key) == 0 then return {{{{(int)ScriptStatus.NotFound}}}} end
            return {{{{(int)ScriptStatus.Corrupt}}}}
          end
          local c = tonumber(m[6]) or 0
          if epoch and c <= epoch then return {{{{(int)ScriptStatus.NotFound}}}} end
          -- Redis's clock only when the app's says the refresh or the deadline may be due, as a read does (the app's
          -- clock gates its refresh, the Refresh script confirms on Redis's): most bumps need neither. A key that
          -- exists is before its deadline by Redis's clock anyway (no script sets an expiry past '#d').
          local g = gran_for(i, gran)
          local now
          if not hint or hint - a >= g or hint >= d then
            if not clock then clock = now_ms() end
            now = clock
            if now >= d then
              redis.call('DEL', key)
              return {{{{(int)ScriptStatus.Expired}}}}
            end
          end
          local old = m[5]
          -- A value past its own lifetime is no value (ValueCodec.IsExpired, the prelude's expired(), inline here: a
          -- helper is a closure per call): header 4..7, then the deadline, 8 bytes big-endian, by the app's clock.
          if old and hint and string.len(old) > {{{ValueCodec.DeadlineSize}}} then
            local h = string.byte(old, 1)
            if h >= {{{ValueCodec.ExpiresFlag}}} and h < 8 then
              local t = 0
              for k = 2, {{{ValueCodec.DeadlineSize + 1}}} do t = t * 256 + string.byte(old, k) end
              if hint >= t then
                redis.call('HDEL', key, f)
                redis.call('HINCRBY', key, '{{{SessionLayout.Size}}}', -entry_size(f, string.len(old)))
                old = nil
              end
            end
          end
          if not old then
            if max > 0 then
              local s = tonumber(redis.call('HGET', key, '{{{SessionLayout.Size}}}')) or 0
              if s + entry_size(f, string.len(delta)) > max then return {{{{(int)ScriptStatus.TooLarge}}}, s} end
            end
            if maxf > 0 then
              local count = user_fields(key) + 1
              if count > maxf then return {{{{(int)ScriptStatus.TooManyFields}}}, count} end
            end
          end
          local v = redis.pcall('HINCRBY', key, f, delta)
          if type(v) == 'table' then
            local e = v.err or ''
            if string.find(e, 'integer', 1, true) or string.find(e, 'overflow', 1, true) then return {{{{(int)ScriptStatus.NotInteger}}}} end
            return v
          end
          local len
          if v > -1e13 and v < 1e14 then len = string.len(string.format('%d', v)) else len = redis.call('HSTRLEN', key, f) end
          local grown = old and (len - string.len(old)) or entry_size(f, len)
          if grown ~= 0 then redis.call('HINCRBY', key, '{{{SessionLayout.Size}}}', grown) end
          if now and now - a >= g then
            redis.call('HSET', key, '{{{SessionLayout.LastAccess}}}', now)
            expire_at(key, now, i, d)
          end
          return {{{{(int)ScriptStatus.Ok}}}, now or hint, v, c}
        end
        local out = {}
        for j = 1, n do
          local ok, r = pcall(bump, KEYS[j], ARGV[3 + 2 * j], ARGV[4 + 2 * j])
          if type(r) == 'table' and r.err then
            out[j] = r.err
          elseif ok then
            out[j] = r
          else
            out[j] = tostring(r)
          end
        end
        return out
        """;

    /// <summary>
    /// Retires a session for rotation: its key becomes a tombstone that names the new identifier,
    /// for a short time. KEYS[1] old key; ARGV[1] new id; ARGV[2] tombstone lifetime ms.
    /// Reply {1, now, {field, value, ...}} with the values it held at that moment.
    /// </summary>
    public static readonly string Seal = Prelude + $$$"""
        local key = KEYS[1]
        local st, a = meta(key)
        if st ~= {{{(int)ScriptStatus.Ok}}} then return {st, a} end
        local all = redis.call('HGETALL', key)
        redis.call('DEL', key)
        redis.call('HSET', key, '{{{SessionLayout.RotatedTo}}}', ARGV[1])
        redis.call('PEXPIRE', key, ARGV[2])
        return {{{{(int)ScriptStatus.Ok}}}, now_ms(), all}
        """;
}
