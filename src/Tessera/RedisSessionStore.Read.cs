using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using Tessera.Internal;

using Tessera.Redis;

namespace Tessera;

/// <summary>Reading a session: a plain HGETALL, the reply parsed into a record, and the sliding refresh sent when due.</summary>
public sealed partial class RedisSessionStore
{
    /// <summary>Loads a session synchronously (for <c>ISession.TryGetValue</c> without a prior <c>LoadAsync</c>).</summary>
    /// <param name="id">A well-formed session identifier.</param>
    /// <returns>What was found.</returns>
    public LoadResult Load(string id) => Load(id, null);

    /// <summary>Loads a session synchronously, recording the client with the sliding refresh when it is due.</summary>
    /// <param name="id">A well-formed session identifier.</param>
    /// <param name="client">The client of this request (last seen address and user agent), or null.</param>
    /// <returns>What was found.</returns>
    internal LoadResult Load(string id, IClientSource? client)
    {
        ThrowIfMalformed(id);
        var start = Stopwatch.GetTimestamp();
        var handle = SessionIds.Handle(id);
        var key = KeyForHandle(handle);
        HashEntry[] entries;
        try
        {
            entries = _redis.ReadHash(key, "load");
        }
        catch (RedisServerException ex) when (RedisFailures.Classify(ex) == RedisFailureKind.Corrupt)
        {
            entries = WrongType;
        }

        _metrics.LoadDuration.Record(Stopwatch.GetElapsedTime(start).TotalSeconds);
        return ParseLoad(id, handle, key, entries, client);
    }

    /// <summary>Stands for a key of another type: never a session.</summary>
    private static readonly HashEntry[] WrongType = [new HashEntry("#wrongtype", 1)];

    /// <summary>
    /// Slides a session's expiry when due, without waiting: fire and forget, so a read stays one
    /// round trip. Sent at most once per granularity per session by the caller.
    /// </summary>
    /// <param name="key">The session key.</param>
    /// <param name="client">The client to record as last seen, or null.</param>
    private void RefreshInBackground(RedisKey key, IClientSource? client = null)
    {
        var seen = client?.Describe();
        RedisValue[] args = seen is null
            ? [_granularityMs]
            : [_granularityMs, seen.Ip ?? string.Empty, seen.UserAgent ?? string.Empty];
        _redis.Send("refresh", static (db, s) => db.ScriptEvaluateAsync(LuaScripts.Refresh, [s.key], s.args), (key, args));
    }

    /// <summary>
    /// Slides the idle expiry of a session if it is due (requests that do not use the session but carry
    /// its cookie), through the same conditional script as a read: never creates a key, never
    /// lengthens a tombstone. Fire and forget.
    /// </summary>
    /// <param name="id">A well-formed session identifier.</param>
    public void Touch(string id) => Touch(id, null);

    /// <summary>As <see cref="Touch(string)"/>, recording the client as last seen when the refresh is due.</summary>
    internal void Touch(string id, IClientSource? client)
    {
        ThrowIfMalformed(id);
        RefreshInBackground(KeyFor(id), client);
    }

    /// <summary>For the benchmarks: decodes a load reply.</summary>
    internal LoadResult ParseLoadForBenchmark(string id, HashEntry[] reply) => ParseLoad(id, SessionIds.Handle(id), KeyFor(id), reply, null, refresh: false);

    private LoadResult ParseLoad(string id, string handle, RedisKey key, HashEntry[] entries, IClientSource? client, bool refresh = true)
    {
        if (entries.Length == 0)
        {
            return new LoadResult(LoadStatus.NotFound);
        }

        var now = _redis.Time.GetUtcNow();
        var values = new Dictionary<string, byte[]>(entries.Length, StringComparer.Ordinal);
        HashSet<string>? counters = null, stale = null;
        Dictionary<string, byte[]>? staleStored = null;
        long created = 0, last = 0, idle = 0, deadline = 0, size = 0;
        bool hasLast = false, hasIdle = false, hasDeadline = false;
        string? user = null, ip = null, agent = null, rotatedTo = null, login = null, lastIp = null, lastAgent = null;
        long authenticated = 0;
        try
        {
            foreach (var entry in entries)
            {
                var field = (string)entry.Name!;
                var fieldKey = SessionLayout.ToKey(field);
                if (fieldKey is not null)
                {
                    var stored = (byte[])entry.Value!;
                    values[fieldKey] = _codec.Decode(handle, field, stored);
                    if (_codec.NeedsRewrite(stored))
                    {
                        (stale ??= new HashSet<string>(StringComparer.Ordinal)).Add(fieldKey);
                        (staleStored ??= new Dictionary<string, byte[]>(StringComparer.Ordinal))[fieldKey] = stored;
                    }

                    if (ValueCodec.IsCounter(stored))
                    {
                        if (_codec.AuthenticatesValues && !ValueCodec.IsWholeInteger(stored))
                        {
                            throw new CorruptSessionException("A plaintext value is not a whole integer, with encryption on.");
                        }

                        (counters ??= new HashSet<string>(StringComparer.Ordinal)).Add(fieldKey);
                    }

                    continue;
                }

                var text = (string?)entry.Value;
                switch (field)
                {
                    case SessionLayout.Created: created = ParseLong(text); break;
                    case SessionLayout.LastAccess: last = ParseLong(text); hasLast = true; break;
                    case SessionLayout.IdleMs: idle = ParseLong(text); hasIdle = true; break;
                    case SessionLayout.Deadline: deadline = ParseLong(text); hasDeadline = true; break;
                    case SessionLayout.Size: size = ParseLong(text); break;
                    case SessionLayout.User: user = text; break;
                    case SessionLayout.ClientIp: ip = text; break;
                    case SessionLayout.UserAgent: agent = text; break;
                    case SessionLayout.RotatedTo: rotatedTo = text; break;
                    case SessionLayout.AuthenticatedAt: authenticated = ParseLong(text); break;
                    case SessionLayout.Login: login = text; break;
                    case SessionLayout.LastClientIp: lastIp = text; break;
                    case SessionLayout.LastUserAgent: lastAgent = text; break;
                    default: break;
                }
            }
        }
        catch (CorruptSessionException ex)
        {
            if (rotatedTo is null)
            {
                ReportCorrupt(id, ex.Message);
                return new LoadResult(LoadStatus.Corrupt);
            }
        }

        if (rotatedTo is not null)
        {
            LogRotatedRefused(_logger, SessionIds.LogTag(id));
            return new LoadResult(LoadStatus.Rotated, RotatedTo: rotatedTo);
        }

        if (!hasLast || !hasIdle || !hasDeadline)
        {
            ReportCorrupt(id, "the key is not a Tessera session hash");
            return new LoadResult(LoadStatus.Corrupt);
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        if (nowMs >= deadline)
        {
            // Past its absolute deadline by this server's clock (Redis expires the key then too); the
            // refresh script deletes it if Redis's clock agrees.
            if (refresh)
            {
                RefreshInBackground(key);
            }

            Raise(new TesseraEvent(TesseraEventKind.ExpiredOnRead, SessionIds.LogTag(id)));
            return new LoadResult(LoadStatus.Expired);
        }

        if (refresh && RefreshRule.IsDue(nowMs, last, idle, (long)_granularityMs))
        {
            RefreshInBackground(key, client);
        }

        var metadata = SessionMetadata.FromStored(created, last, idle, deadline, size, user, ip, agent, authenticated, login, lastIp, lastAgent);
        return new LoadResult(LoadStatus.Found, new SessionRecord(id, metadata, values, now)
        {
            Counters = counters ?? (IReadOnlySet<string>)new HashSet<string>(),
            Stale = stale ?? (IReadOnlySet<string>)new HashSet<string>(),
            StaleStored = staleStored ?? (IReadOnlyDictionary<string, byte[]>)new Dictionary<string, byte[]>(),
        });
    }

    private static long ParseLong(string? text) =>
        long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new CorruptSessionException("A metadata field is not an integer.");
}
