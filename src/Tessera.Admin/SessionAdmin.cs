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
public sealed partial class SessionAdmin
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
