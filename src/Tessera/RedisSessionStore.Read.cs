using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using Tessera.Internal;

using Tessera.Redis;
using Tessera.Wire;

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
    internal LoadResult Load(string id, IClientSource? client) => Load(id, client, true);

    /// <summary>As <see cref="Load(string, IClientSource?)"/>; with <paramref name="slide"/> false, never sends the sliding refresh.</summary>
    internal LoadResult Load(string id, IClientSource? client, bool slide)
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
        return ParseLoad(id, handle, key, entries, client, slide);
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
        // The one reader of a session hash and the one rule of what a session is (Wire/SessionHash).
        var userFields = new List<HashEntry>(entries.Length);
        var slots = SessionHash.Split(entries, userFields);
        switch (SessionHash.KindOf(slots))
        {
            case SessionHashKind.Absent when entries.Length == 0:
                return new LoadResult(LoadStatus.NotFound);
            case SessionHashKind.Tombstone:
                LogRotatedRefused(_logger, SessionIds.LogTag(id));
                return new LoadResult(LoadStatus.Rotated, RotatedTo: (string?)slots[(int)MetadataSlot.RotatedTo]);
            case SessionHashKind.Session:
                break;
            default:
                ReportCorrupt(id, "the key is not a Tessera session hash");
                return new LoadResult(LoadStatus.Corrupt);
        }

        var now = _redis.Time.GetUtcNow();
        var values = new Dictionary<string, byte[]>(userFields.Count, StringComparer.Ordinal);
        HashSet<string>? counters = null, stale = null;
        Dictionary<string, byte[]>? staleStored = null;
        SessionMetadata metadata;
        try
        {
            metadata = SessionHash.Metadata(slots);
            foreach (var entry in userFields)
            {
                var field = (string)entry.Name!;
                var fieldKey = SessionLayout.ToKey(field)!;
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
            }
        }
        catch (CorruptSessionException ex)
        {
            ReportCorrupt(id, ex.Message);
            return new LoadResult(LoadStatus.Corrupt);
        }

        var nowMs = now.ToUnixTimeMilliseconds();
        if (now >= metadata.AbsoluteDeadline)
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

        if (refresh && RefreshRule.IsDue(nowMs, metadata.LastAccess.ToUnixTimeMilliseconds(), (long)metadata.IdleTimeout.TotalMilliseconds, (long)_granularityMs))
        {
            RefreshInBackground(key, client);
        }

        return new LoadResult(LoadStatus.Found, new SessionRecord(id, metadata, values, now)
        {
            Counters = counters ?? (IReadOnlySet<string>)new HashSet<string>(),
            Stale = stale ?? (IReadOnlySet<string>)new HashSet<string>(),
            StaleStored = staleStored ?? (IReadOnlyDictionary<string, byte[]>)new Dictionary<string, byte[]>(),
        });
    }
}
