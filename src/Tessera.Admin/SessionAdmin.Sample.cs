using System.Diagnostics;
using StackExchange.Redis;

namespace Tessera.Admin;

/// <summary>Statistics estimated from a bounded random sample of the keyspace, for a view that must answer in well under a second at millions of sessions.</summary>
public sealed partial class SessionAdmin
{
    /// <summary>The most keys <see cref="SampleStatsAsync"/> samples.</summary>
    public const int MaxSampleKeys = 1_000_000;

    /// <summary>
    /// Estimates what <see cref="CollectStatsAsync"/> counts from about <paramref name="sampleKeys"/> keys
    /// drawn at random (<see cref="SessionKeyspace.SampleAsync"/>, on each master in proportion to its
    /// <c>DBSIZE</c>), scaled to the total number of keys. Each count comes with its 95% interval
    /// (<see cref="SampleMath.Count"/>), each size percentile with its interval (<see cref="SampleMath.Percentile"/>).
    /// The cost is that of <paramref name="sampleKeys"/> keys, whatever the keyspace's size. Only valid where
    /// <see cref="SessionKeyspace.SupportsSamplingAsync"/> says so, and meant for a keyspace larger than the sample.
    /// </summary>
    /// <param name="sampleKeys">About how many keys to sample, 1 to <see cref="MaxSampleKeys"/>.</param>
    /// <param name="progress">Told after every batch (its total is the sample's size).</param>
    /// <param name="random">Picks the starting cursors; <see langword="null"/> for <see cref="Random.Shared"/>.</param>
    /// <param name="cancellationToken">Stops between batches.</param>
    /// <returns>The estimate.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="sampleKeys"/> is out of range.</exception>
    public async Task<SessionEstimate> SampleStatsAsync(int sampleKeys = 10_000, IProgress<ScanProgress>? progress = null, Random? random = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sampleKeys, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sampleKeys, MaxSampleKeys);
        var started = Stopwatch.GetTimestamp();
        var masters = _keyspace.Masters();
        var sizes = new long[masters.Count];
        for (var n = 0; n < masters.Count; n++)
        {
            sizes[n] = await masters[n].DatabaseSizeAsync(_keyspace.Options.Database ?? _keyspace.Database.Database).WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var total = sizes.Sum();
        long sampled = 0, sessions = 0, withUser = 0, ttlLess = 0, tombstones = 0, indexes = 0, locks = 0, analytics = 0, foreign = 0, outside = 0;
        var histogram = new long[TtlBounds.Length];
        var sessionSizes = new List<long>();
        for (var server = 0; server < masters.Count && total > 0; server++)
        {
            // Proportional allocation keeps the pooled sample self-weighting, so the shares below are those of all keys.
            var want = (int)Math.Ceiling(sampleKeys * (double)sizes[server] / total);
            await foreach (var batch in _keyspace.SampleAsync(server, want, random, cancellationToken).ConfigureAwait(false))
            {
                var summaries = await _keyspace.ReadAsync(batch.Keys, false, cancellationToken).ConfigureAwait(false);
                foreach (var s in summaries)
                {
                    if (s.Kind == SessionKeyKind.Gone)
                    {
                        continue; // expired between SCAN and the read: not in the sample
                    }

                    sampled++;
                    if (!s.Key.StartsWith(_keyspace.Prefix, StringComparison.Ordinal))
                    {
                        outside++;
                        continue;
                    }

                    switch (s.Kind)
                    {
                        case SessionKeyKind.Tombstone: tombstones++; continue;
                        case SessionKeyKind.UserIndex: indexes++; continue;
                        case SessionKeyKind.Lock: locks++; continue;
                        case SessionKeyKind.Analytics: analytics++; continue;
                        case SessionKeyKind.Session: break;
                        default: foreign++; continue;
                    }

                    sessions++;
                    withUser += s.UserId is null ? 0 : 1;
                    if (s.Ttl is { } ttl)
                    {
                        histogram[BucketOf(ttl)]++;
                    }
                    else
                    {
                        ttlLess++;
                    }

                    sessionSizes.Add(s.Size);
                }

                progress?.Report(new ScanProgress(sampled, sessions, sampleKeys));
            }
        }

        var memory = await MemoryAsync(cancellationToken).ConfigureAwait(false);
        sessionSizes.Sort();
        Estimate Of(long hits) => SampleMath.Count(hits, sampled, total);
        var sessionCount = Of(sessions);
        return new SessionEstimate
        {
            TotalKeys = total,
            SampledKeys = sampled,
            SampledSessions = sessions,
            Sessions = sessionCount,
            WithUser = Of(withUser),
            Users = Of(indexes),
            TtlLess = Of(ttlLess),
            Tombstones = Of(tombstones),
            UserIndexes = Of(indexes),
            Locks = Of(locks),
            Analytics = Of(analytics),
            Foreign = Of(foreign),
            Outside = Of(outside),
            TtlHistogram = [.. TtlBounds.Select((b, n) => new EstimatedTtlBucket(b.Label, b.Bound, Of(histogram[n]))), new EstimatedTtlBucket("none", null, Of(ttlLess))],
            SizeP50 = sessionSizes.Count > 0 ? SampleMath.Percentile(sessionSizes, 0.50) : default,
            SizeP90 = sessionSizes.Count > 0 ? SampleMath.Percentile(sessionSizes, 0.90) : default,
            SizeP99 = sessionSizes.Count > 0 ? SampleMath.Percentile(sessionSizes, 0.99) : default,
            SizeMaxSampled = sessionSizes.Count > 0 ? sessionSizes[^1] : 0,
            SizeTotal = sessionSizes.Count > 0 ? sessionSizes.Average() * sessionCount.Value : 0,
            Memory = memory,
            Elapsed = Stopwatch.GetElapsedTime(started),
        };
    }
}
