using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Admin;

/// <summary>
/// The operator's view of the sessions: statistics, filtered listings, one session in detail, and
/// the cleanup of sessions without a TTL. Everything walks the keyspace with <see cref="SessionKeyspace"/>
/// (<c>SCAN</c>, paced), so it is safe on a large production keyspace. Shared by the CLI and the dashboard.
/// <c>INFO</c> and <c>MEMORY USAGE</c> need a multiplexer configured with <c>allowAdmin=true</c>.
/// </summary>
public sealed class SessionAdmin
{
    private static readonly (string Label, TimeSpan? Bound)[] TtlBounds =
    [
        ("< 1m", TimeSpan.FromMinutes(1)),
        ("1m-5m", TimeSpan.FromMinutes(5)),
        ("5m-15m", TimeSpan.FromMinutes(15)),
        ("15m-1h", TimeSpan.FromHours(1)),
        ("1h-6h", TimeSpan.FromHours(6)),
        ("6h-24h", TimeSpan.FromHours(24)),
        (">= 24h", null),
    ];

    private readonly SessionKeyspace _keyspace;

    /// <summary>Creates the admin view.</summary>
    /// <param name="keyspace">The keyspace walker.</param>
    public SessionAdmin(SessionKeyspace keyspace)
    {
        ArgumentNullException.ThrowIfNull(keyspace);
        _keyspace = keyspace;
    }

    /// <summary>The keyspace walker.</summary>
    public SessionKeyspace Keyspace => _keyspace;

    /// <summary>Scans every session once and computes counts, the TTL histogram, size percentiles, the largest sessions, the users with most sessions and the memory in use.</summary>
    /// <param name="options">What to gather.</param>
    /// <param name="progress">Told after every batch.</param>
    /// <param name="cancellationToken">Stops the scan between batches.</param>
    /// <returns>The statistics.</returns>
    public async Task<SessionStats> CollectStatsAsync(StatsOptions? options = null, IProgress<ScanProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        options ??= new StatsOptions();
        var started = Stopwatch.GetTimestamp();
        var total = await _keyspace.CountAllKeysAsync(cancellationToken).ConfigureAwait(false);
        long scanned = 0, sessions = 0, tombstones = 0, users = 0, locks = 0, foreign = 0, analytics = 0, ttlLess = 0, withUser = 0;
        var histogram = new long[TtlBounds.Length];
        var sizes = new List<long>();
        var largest = new PriorityQueue<SessionSummary, long>();
        var perUser = new Dictionary<string, long>(StringComparer.Ordinal);
        var ttlLessSample = new List<SessionSummary>();

        await foreach (var batch in _keyspace.ScanAsync(null, cancellationToken).ConfigureAwait(false))
        {
            var summaries = await _keyspace.ReadAsync(batch.Keys, options.MemoryUsage, cancellationToken).ConfigureAwait(false);
            foreach (var s in summaries)
            {
                scanned++;
                switch (s.Kind)
                {
                    case SessionKeyKind.Tombstone: tombstones++; continue;
                    case SessionKeyKind.UserIndex: users++; continue;
                    case SessionKeyKind.Lock: locks++; continue;
                    case SessionKeyKind.Foreign: foreign++; continue;
                    case SessionKeyKind.Analytics: analytics++; continue;
                    case SessionKeyKind.Gone: scanned--; continue;
                    default: break;
                }

                sessions++;
                if (s.Ttl is { } ttl)
                {
                    histogram[BucketOf(ttl)]++;
                }
                else
                {
                    ttlLess++;
                    if (ttlLessSample.Count < options.TtlLessSample)
                    {
                        ttlLessSample.Add(s);
                    }
                }

                var size = options.MemoryUsage ? s.MemoryUsage ?? s.Size : s.Size;
                sizes.Add(size);
                if (options.Top > 0)
                {
                    largest.Enqueue(s, size);
                    if (largest.Count > options.Top)
                    {
                        largest.Dequeue();
                    }
                }

                if (s.UserId is { } user)
                {
                    withUser++;
                    perUser[user] = perUser.GetValueOrDefault(user) + 1;
                }
            }

            progress?.Report(new ScanProgress(scanned, sessions, total));
        }

        var memory = await MemoryAsync(cancellationToken).ConfigureAwait(false);
        var top = new List<SessionSummary>(largest.Count);
        while (largest.Count > 0)
        {
            top.Add(largest.Dequeue());
        }

        top.Reverse();
        var noTtl = new TtlBucket("none", null, ttlLess);
        return new SessionStats
        {
            ScannedKeys = scanned,
            Sessions = sessions,
            Tombstones = tombstones,
            UserIndexes = users,
            Locks = locks,
            Foreign = foreign,
            Analytics = analytics,
            TtlLess = ttlLess,
            TtlLessSample = ttlLessSample,
            TtlHistogram = [.. TtlBounds.Select((b, n) => new TtlBucket(b.Label, b.Bound, histogram[n])), noTtl],
            Sizes = SizeDistribution.Of(options.MemoryUsage ? "MEMORY USAGE" : "#s", sizes),
            Largest = top,
            TopUsers = [.. perUser
                .OrderByDescending(static p => p.Value)
                .ThenBy(static p => p.Key, StringComparer.Ordinal)
                .Take(options.Top)
                .Select(static p => new UserCount(p.Key, p.Value))],
            WithUser = withUser,
            DistinctUsers = perUser.Count,
            Memory = memory,
            Elapsed = Stopwatch.GetElapsedTime(started),
        };
    }

    /// <summary>Reads <c>INFO memory</c> and <c>DBSIZE</c> of every master.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>One entry per master.</returns>
    public async Task<IReadOnlyList<ServerMemory>> MemoryAsync(CancellationToken cancellationToken = default)
    {
        var result = new List<ServerMemory>();
        foreach (var server in _keyspace.Masters())
        {
            var info = new RedisInfo(await server.InfoRawAsync("memory").WaitAsync(cancellationToken).ConfigureAwait(false));
            var keys = await server.DatabaseSizeAsync(_keyspace.Database.Database).WaitAsync(cancellationToken).ConfigureAwait(false);
            result.Add(new ServerMemory(
                server.EndPoint.ToString() ?? "?",
                info.GetInt64("used_memory") ?? 0,
                info["used_memory_human"],
                info["used_memory_peak_human"],
                info.GetInt64("maxmemory") ?? 0,
                info["maxmemory_policy"],
                keys));
        }

        return result;
    }

    /// <summary>
    /// One page of the sessions that pass <paramref name="filter"/>: at most <paramref name="limit"/>,
    /// from <paramref name="from"/> on. Like <c>SCAN</c> itself, a session that lives through the
    /// whole listing is returned at least once; one may repeat across pages while keys change.
    /// </summary>
    /// <param name="filter">The conditions.</param>
    /// <param name="limit">The most sessions to return.</param>
    /// <param name="from">Where to start (the <see cref="SessionPage.Next"/> of the previous page), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Stops the scan between batches.</param>
    /// <returns>The page.</returns>
    public async Task<SessionPage> ListAsync(SessionFilter filter, int limit, ScanPosition? from = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        var now = await _keyspace.ServerTimeAsync(cancellationToken).ConfigureAwait(false);
        var masters = _keyspace.Masters().Count;
        if (from is not null && from.Server >= masters)
        {
            return new SessionPage([], null, 0);
        }

        var found = new List<SessionSummary>(Math.Min(limit, 1024));
        long scanned = 0;
        var first = true;
        await foreach (var batch in _keyspace.ScanAsync(from, cancellationToken).ConfigureAwait(false))
        {
            IReadOnlyList<RedisKey> keys = batch.Keys;
            if (first && from?.AfterTag is { } tag)
            {
                // Resume inside the batch, after the key the previous page ended on. If that key is no
                // longer in the batch (it expired, or the table was resized), take the whole batch:
                // a repeat is better than a miss.
                var at = IndexOfTag(keys, tag);
                keys = at >= 0 ? keys.Skip(at + 1).ToArray() : keys;
            }

            first = false;
            var summaries = await _keyspace.ReadAsync(keys, false, cancellationToken).ConfigureAwait(false);
            for (var n = 0; n < summaries.Count; n++)
            {
                scanned++;
                if (!filter.Matches(summaries[n], now))
                {
                    continue;
                }

                found.Add(summaries[n]);
                if (found.Count == limit)
                {
                    var rest = summaries.Skip(n + 1).Any(s => filter.Matches(s, now));
                    var next = rest ? new ScanPosition(batch.Server, batch.Cursor, summaries[n].Tag) : After(batch, masters);
                    return new SessionPage(found, next, scanned);
                }
            }
        }

        return new SessionPage(found, null, scanned);
    }

    /// <summary>Reads one session in full: summary, recorded client, and its values.</summary>
    /// <param name="handle">The session's handle (see <see cref="SessionKeyspace.ResolveHandleAsync"/>).</param>
    /// <param name="codec">Decodes values whose header is not plain (compressed or encrypted), when given.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The details, or <see langword="null"/> when there is no such session (a tombstone or another key counts as none).</returns>
    public async Task<SessionDetails?> InspectAsync(string handle, ValueCodec? codec = null, CancellationToken cancellationToken = default)
    {
        if (!SessionIds.IsValid(handle))
        {
            throw new ArgumentException("Not a well-formed session handle.", nameof(handle));
        }

        var key = _keyspace.KeyFor(handle);
        var db = _keyspace.Database;
        var summaryTask = _keyspace.ReadOneAsync(handle, memoryUsage: true, cancellationToken);
        var allTask = db.HashGetAllAsync(key);
        try
        {
            await Task.WhenAll(summaryTask, allTask).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException) when (summaryTask.IsCompletedSuccessfully)
        {
            return null;
        }

        var summary = await summaryTask.ConfigureAwait(false);
        if (summary.Kind != SessionKeyKind.Session)
        {
            return null;
        }

        string? ip = null, agent = null;
        var fields = new List<SessionField>();
        foreach (var entry in await allTask.ConfigureAwait(false))
        {
            var field = (string)entry.Name!;
            var callerKey = SessionLayout.ToKey(field);
            if (callerKey is null)
            {
                ip = field == SessionLayout.ClientIp ? (string?)entry.Value : ip;
                agent = field == SessionLayout.UserAgent ? (string?)entry.Value : agent;
                continue;
            }

            var stored = (byte[]?)entry.Value ?? [];
            fields.Add(Describe(handle, field, callerKey, stored, codec));
        }

        fields.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        return new SessionDetails(summary, ip, agent, fields);
    }

    /// <summary>
    /// Finds sessions without any expiry and, unless it is a dry run, gives each a TTL or deletes it.
    /// Each change is made by a one-key script that checks again that the key is a session and still
    /// has no TTL, so a session the app refreshed meanwhile is left alone.
    /// </summary>
    /// <param name="action">What to do to each.</param>
    /// <param name="ttl">The TTL to give (for <see cref="CleanupAction.Expire"/>).</param>
    /// <param name="sampleSize">How many to list in the report.</param>
    /// <param name="progress">Told after every batch.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>What was found and done.</returns>
    public async Task<CleanupReport> CleanupAsync(
        CleanupAction action,
        TimeSpan? ttl = null,
        int sampleSize = 20,
        IProgress<ScanProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        if (action == CleanupAction.Expire && ttl is not { TotalMilliseconds: >= 1 })
        {
            throw new ArgumentException("Giving sessions a TTL needs a positive TTL.", nameof(ttl));
        }

        var total = await _keyspace.CountAllKeysAsync(cancellationToken).ConfigureAwait(false);
        var db = _keyspace.Database;
        long scanned = 0, found = 0, applied = 0, sessions = 0;
        var sample = new List<SessionSummary>();
        RedisValue[] args = [action == CleanupAction.Delete ? "delete" : "expire", (long)(ttl?.TotalMilliseconds ?? 0)];
        await foreach (var batch in _keyspace.ScanAsync(null, cancellationToken).ConfigureAwait(false))
        {
            var summaries = await _keyspace.ReadAsync(batch.Keys, false, cancellationToken).ConfigureAwait(false);
            var targets = new List<SessionSummary>();
            foreach (var s in summaries)
            {
                scanned += s.Kind == SessionKeyKind.Gone ? 0 : 1;
                sessions += s.Kind == SessionKeyKind.Session ? 1 : 0;
                if (s.Kind == SessionKeyKind.Session && s.IsTtlLess)
                {
                    found++;
                    targets.Add(s);
                    if (sample.Count < sampleSize)
                    {
                        sample.Add(s);
                    }
                }
            }

            if (action != CleanupAction.None && targets.Count > 0)
            {
                var replies = targets.Select(t => db.ScriptEvaluateAsync(AdminScripts.FixTtlLess, [t.Key], args)).ToArray();
                await Task.WhenAll(replies).WaitAsync(cancellationToken).ConfigureAwait(false);
                var unindex = new List<Task>();
                for (var n = 0; n < targets.Count; n++)
                {
                    var reply = (RedisResult[])replies[n].Result!;
                    if ((long)reply[0] != 1)
                    {
                        continue;
                    }

                    applied++;
                    if (action == CleanupAction.Delete && reply.Length > 1 && !reply[1].IsNull && (string?)reply[1] is { Length: > 0 } user)
                    {
                        unindex.Add(db.SortedSetRemoveAsync(_keyspace.UserKeyFor(user), targets[n].Handle));
                    }
                }

                await Task.WhenAll(unindex).WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            progress?.Report(new ScanProgress(scanned, sessions, total));
        }

        return new CleanupReport(action, scanned, found, applied, sample);
    }

    /// <summary>Takes one reading of the live counters (<c>INFO</c> of every master, and a name-only scan that counts session keys).</summary>
    /// <param name="countSessions">Whether to scan for the session count (one paced <c>SCAN</c> pass, no per-key reads).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reading.</returns>
    public async Task<WatchSample> SampleAsync(bool countSessions = true, CancellationToken cancellationToken = default)
    {
        long sessionKeys = 0;
        if (countSessions)
        {
            await foreach (var batch in _keyspace.ScanAsync(null, cancellationToken).ConfigureAwait(false))
            {
                foreach (var key in batch.Keys)
                {
                    sessionKeys += _keyspace.ClassifyName(key!) == SessionKeyKind.Session ? 1 : 0;
                }
            }
        }

        long totalKeys = 0, expired = 0, evicted = 0, commands = 0, hits = 0, misses = 0, memory = 0, clients = 0;
        foreach (var server in _keyspace.Masters())
        {
            var info = new RedisInfo(await server.InfoRawAsync().WaitAsync(cancellationToken).ConfigureAwait(false));
            totalKeys += await server.DatabaseSizeAsync(_keyspace.Database.Database).WaitAsync(cancellationToken).ConfigureAwait(false);
            expired += info.GetInt64("expired_keys") ?? 0;
            evicted += info.GetInt64("evicted_keys") ?? 0;
            commands += info.GetInt64("total_commands_processed") ?? 0;
            hits += info.GetInt64("keyspace_hits") ?? 0;
            misses += info.GetInt64("keyspace_misses") ?? 0;
            memory += info.GetInt64("used_memory") ?? 0;
            clients += info.GetInt64("connected_clients") ?? 0;
        }

        return new WatchSample
        {
            At = await _keyspace.ServerTimeAsync(cancellationToken).ConfigureAwait(false),
            SessionKeys = sessionKeys,
            TotalKeys = totalKeys,
            ExpiredKeys = expired,
            EvictedKeys = evicted,
            Commands = commands,
            Hits = hits,
            Misses = misses,
            UsedMemory = memory,
            Clients = clients,
        };
    }

    private static SessionField Describe(string handle, string field, string callerKey, byte[] stored, ValueCodec? codec)
    {
        if (stored.Length == 0)
        {
            return new SessionField(callerKey, 0, StoredValueKind.Encoded, 0, null);
        }

        var header = stored[0];
        if (header == ValueCodec.Plain)
        {
            return new SessionField(callerKey, stored.Length, StoredValueKind.Plain, header, stored.AsMemory(1));
        }

        if (header is (byte)'-' or (>= (byte)'0' and <= (byte)'9'))
        {
            return new SessionField(callerKey, stored.Length, StoredValueKind.Counter, header, stored);
        }

        ReadOnlyMemory<byte>? decoded = null;
        if (codec is not null)
        {
            try
            {
                decoded = codec.Decode(handle, field, stored);
            }
            catch (CorruptSessionException)
            {
                decoded = null;
            }
        }

        return new SessionField(callerKey, stored.Length, StoredValueKind.Encoded, header, decoded);
    }

    private int IndexOfTag(IReadOnlyList<RedisKey> keys, string tag)
    {
        for (var n = 0; n < keys.Count; n++)
        {
            string key = keys[n]!;
            if (_keyspace.ClassifyName(key) == SessionKeyKind.Session
                && string.Equals(SessionIds.TagOfHandle(key[_keyspace.Prefix.Length..]), tag, StringComparison.Ordinal))
            {
                return n;
            }
        }

        return -1;
    }

    private static ScanPosition? After(KeyBatch batch, int masters) =>
        batch.NextCursor != 0 ? new ScanPosition(batch.Server, batch.NextCursor)
        : batch.Server + 1 < masters ? new ScanPosition(batch.Server + 1, 0)
        : null;

    private static int BucketOf(TimeSpan ttl)
    {
        for (var n = 0; n < TtlBounds.Length; n++)
        {
            if (TtlBounds[n].Bound is not { } bound || ttl < bound)
            {
                return n;
            }
        }

        return TtlBounds.Length - 1;
    }

    internal static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
