using System.Globalization;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Admin;

/// <summary>What each key under the prefix holds: its metadata, its expiry and, when asked, its memory (with
/// pipelined <c>HMGET</c> + <c>PTTL</c>, or one read-only script on a single server). Values are never read.</summary>
public sealed partial class SessionKeyspace
{
    /// <summary>
    /// Reads the metadata of a batch of keys in one pipelined burst: <c>HMGET</c> of the metadata
    /// fields and <c>PTTL</c> for each key that may be a session, and <c>MEMORY USAGE</c> when asked.
    /// </summary>
    /// <param name="keys">Keys under the prefix.</param>
    /// <param name="memoryUsage">Whether to ask <c>MEMORY USAGE</c> for each session too.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>One summary per key, in order.</returns>
    public async Task<IReadOnlyList<SessionSummary>> ReadAsync(IReadOnlyList<RedisKey> keys, bool memoryUsage = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var db = Database;
        if (!memoryUsage && !IsCluster && keys.Count > 1)
        {
            return await ReadInOneScriptAsync(db, keys, cancellationToken).ConfigureAwait(false);
        }

        var pending = new (Task<RedisValue[]> Fields, Task<RedisResult> Ttl, Task<RedisResult>? Memory)?[keys.Count];
        for (var n = 0; n < keys.Count; n++)
        {
            if (ClassifyName(keys[n]!) == SessionKeyKind.Session)
            {
                pending[n] = (
                    db.HashGetAsync(keys[n], SessionLayout.MetadataFields),
                    db.ExecuteAsync("PTTL", [keys[n]]),
                    memoryUsage ? db.ExecuteAsync("MEMORY", ["USAGE", keys[n], "SAMPLES", "0"]) : null);
            }
        }

        var all = pending.Where(static p => p is not null)
            .SelectMany(static p => new Task?[] { p!.Value.Fields, p.Value.Ttl, p.Value.Memory })
            .OfType<Task>()
            .ToArray();
        try
        {
            await Task.WhenAll(all).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException)
        {
            // WRONGTYPE for a key that is not a hash, or MEMORY refused: classified below, per key.
            // Anything else (a timeout, a lost connection) fails the whole read.
            foreach (var task in all)
            {
                if (task.IsFaulted && task.Exception!.InnerException is { } inner and not RedisServerException)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(inner);
                }
            }
        }

        var summaries = new SessionSummary[keys.Count];
        for (var n = 0; n < keys.Count; n++)
        {
            string key = keys[n]!;
            summaries[n] = pending[n] is { } p
                ? Summarize(key, p.Fields, p.Ttl, p.Memory)
                : new SessionSummary { Key = key, Kind = ClassifyName(key) };
        }

        return summaries;
    }

    /// <summary>Reads one session's summary.</summary>
    /// <param name="handle">The session's handle.</param>
    /// <param name="memoryUsage">Whether to ask <c>MEMORY USAGE</c> too.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The summary; its kind is <see cref="SessionKeyKind.Gone"/> when there is no such key.</returns>
    public async Task<SessionSummary> ReadOneAsync(string handle, bool memoryUsage = false, CancellationToken cancellationToken = default)
    {
        var result = await ReadAsync([KeyFor(handle)], memoryUsage, cancellationToken).ConfigureAwait(false);
        return result[0];
    }

    private bool IsCluster => Multiplexer.GetServers().Any(static s => s.ServerType == ServerType.Cluster);

    private async Task<IReadOnlyList<SessionSummary>> ReadInOneScriptAsync(IDatabase db, IReadOnlyList<RedisKey> keys, CancellationToken cancellationToken)
    {
        var summaries = new SessionSummary[keys.Count];
        var candidates = new List<int>(keys.Count);
        for (var n = 0; n < keys.Count; n++)
        {
            string key = keys[n]!;
            if (ClassifyName(key) == SessionKeyKind.Session)
            {
                candidates.Add(n);
            }
            else
            {
                summaries[n] = new SessionSummary { Key = key, Kind = ClassifyName(key) };
            }
        }

        if (candidates.Count == 0)
        {
            return summaries;
        }

        var reply = await db.ScriptEvaluateAsync(AdminScripts.ReadMetadata, [.. candidates.Select(n => keys[n])])
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        var rows = (RedisResult[])reply!;
        for (var c = 0; c < candidates.Count; c++)
        {
            var n = candidates[c];
            string key = keys[n]!;
            var row = (RedisResult[])rows[c]!;
            var ttl = (long)row[0];
            if (row[1].Resp2Type != ResultType.Array)
            {
                summaries[n] = ttl == -2
                    ? new SessionSummary { Key = key, Handle = key[Prefix.Length..], Kind = SessionKeyKind.Gone }
                    : new SessionSummary { Key = key, Handle = key[Prefix.Length..], Kind = SessionKeyKind.Foreign, Ttl = ttl >= 0 ? TimeSpan.FromMilliseconds(ttl) : null };
                continue;
            }

            summaries[n] = Summarize(key, (RedisValue[])row[1]!, ttl, null);
        }

        return summaries;
    }

    private SessionSummary Summarize(string key, Task<RedisValue[]> fields, Task<RedisResult> ttl, Task<RedisResult>? memory)
    {
        var id = key[Prefix.Length..];
        if (fields.IsFaulted || ttl.IsFaulted)
        {
            return new SessionSummary { Key = key, Handle = id, Kind = SessionKeyKind.Foreign, Ttl = TtlOf(ttl) };
        }

        long? usage = memory is { IsCompletedSuccessfully: true } m && !m.Result.IsNull ? (long)m.Result : null;
        return Summarize(key, fields.Result, ttl.IsCompletedSuccessfully ? (long)ttl.Result : -2, usage);
    }

    private SessionSummary Summarize(string key, RedisValue[] f, long pttl, long? usage)
    {
        var id = key[Prefix.Length..];
        if (pttl == -2)
        {
            return new SessionSummary { Key = key, Handle = id, Kind = SessionKeyKind.Gone };
        }

        // The one rule of what a session is, as the store reads it (Wire/SessionHash).
        var kind = Tessera.Wire.SessionHash.KindOf(f) switch
        {
            Tessera.Wire.SessionHashKind.Tombstone => SessionKeyKind.Tombstone,
            Tessera.Wire.SessionHashKind.Session => SessionKeyKind.Session,
            _ => SessionKeyKind.Foreign,
        };
        var summary = new SessionSummary
        {
            Key = key,
            Handle = id,
            Kind = kind,
            Ttl = pttl >= 0 ? TimeSpan.FromMilliseconds(pttl) : null,
            MemoryUsage = usage,
        };
        if (kind != SessionKeyKind.Session)
        {
            return summary;
        }

        return summary with
        {
            Created = Time(f[(int)SessionMetadataField.Created]),
            LastAccess = Time(f[(int)SessionMetadataField.LastAccess]),
            IdleTimeout = Long(f[(int)SessionMetadataField.IdleMs]) is { } idle ? TimeSpan.FromMilliseconds(idle) : null,
            AbsoluteDeadline = Time(f[(int)SessionMetadataField.Deadline]),
            Size = Long(f[(int)SessionMetadataField.Size]) ?? 0,
            UserId = f[(int)SessionMetadataField.User].IsNull ? null : (string?)f[(int)SessionMetadataField.User],
        };
    }

    private static TimeSpan? TtlOf(Task<RedisResult> ttl) =>
        ttl.IsCompletedSuccessfully && (long)ttl.Result is >= 0 and var ms ? TimeSpan.FromMilliseconds(ms) : null;

    private static long? Long(RedisValue value) =>
        !value.IsNull && long.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    private static DateTimeOffset? Time(RedisValue value) =>
        Long(value) is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;
}
