using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Admin;

/// <summary>Cleanup of TTL-less keys and of sessions "everyone at once" ended (dry run, then apply), and the samples behind `tessera watch`.</summary>
public sealed partial class SessionAdmin
{
    /// <summary>
    /// Finds sessions without any expiry and, unless it is a dry run, gives each a TTL or deletes it.
    /// Each change is made by a one-key script that checks again that the key is a session and still
    /// has no TTL, so a session the app refreshed meanwhile is left alone. In the same scan it finds the
    /// sessions and logins created at or before "everyone at once" (<see cref="SessionUsers.RevokeEverythingAsync"/>):
    /// dead already, they are deleted (and dropped from their user's index) whatever the action, unless
    /// it is a dry run.
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
        var epoch = await EveryoneEpochAsync(db, cancellationToken).ConfigureAwait(false);
        long revokedFound = 0, revokedDeleted = 0;
        await foreach (var batch in _keyspace.ScanAsync(null, cancellationToken).ConfigureAwait(false))
        {
            var summaries = await _keyspace.ReadAsync(batch.Keys, false, cancellationToken).ConfigureAwait(false);
            var targets = new List<SessionSummary>();
            var dead = new List<SessionSummary>();
            foreach (var s in summaries)
            {
                scanned += s.Kind == SessionKeyKind.Gone ? 0 : 1;
                sessions += s.Kind == SessionKeyKind.Session ? 1 : 0;
                if (s.Kind == SessionKeyKind.Session && EveryoneRevocation.Ends(s.Created?.ToUnixTimeMilliseconds() ?? 0, epoch))
                {
                    revokedFound++;
                    dead.Add(s);
                }
                else if (s.Kind == SessionKeyKind.Session && s.IsTtlLess)
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
                        unindex.Add(db.SortedSetRemoveAsync(_keyspace.UserKeyFor(user), [targets[n].Handle, SessionLayout.IndexMember(targets[n].Handle!, companion: true)]));
                    }
                }

                await Task.WhenAll(unindex).WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            if (action != CleanupAction.None && dead.Count > 0)
            {
                revokedDeleted += await DeleteRevokedAsync(db, dead, epoch!.Value, cancellationToken).ConfigureAwait(false);
            }

            progress?.Report(new ScanProgress(scanned, sessions, total));
        }

        return new CleanupReport(action, scanned, found, applied, sample)
        {
            EveryoneRevokedAt = epoch is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null,
            RevokedFound = revokedFound,
            RevokedDeleted = revokedDeleted,
        };
    }

    /// <summary>
    /// The "everyone at once" epoch, or null. An operators' ACL written before it (no <c>GET</c>) cannot read
    /// it: then cleanup does what it did before, TTL-less sessions only.
    /// </summary>
    private async Task<long?> EveryoneEpochAsync(IDatabase db, CancellationToken cancellationToken)
    {
        try
        {
            return EveryoneRevocation.EpochOf(await db.StringGetAsync(SessionLayout.EveryoneRevokedKey(_keyspace.Prefix)).WaitAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
        {
            return null;
        }
    }

    /// <summary>Deletes sessions "everyone at once" ended, each by a one-key script that checks the rule again, and drops each from its user's index.</summary>
    private async Task<long> DeleteRevokedAsync(IDatabase db, List<SessionSummary> dead, long epoch, CancellationToken cancellationToken)
    {
        var replies = dead.Select(t => db.ScriptEvaluateAsync(AdminScripts.DeleteRevoked, [t.Key], [epoch])).ToArray();
        await Task.WhenAll(replies).WaitAsync(cancellationToken).ConfigureAwait(false);
        var unindex = new List<Task>();
        long deleted = 0;
        for (var n = 0; n < dead.Count; n++)
        {
            var reply = (RedisResult[])replies[n].Result!;
            if ((long)reply[0] != 1)
            {
                continue;
            }

            deleted++;
            if (reply.Length > 1 && !reply[1].IsNull && (string?)reply[1] is { Length: > 0 } user && dead[n].Handle is { } handle)
            {
                unindex.Add(db.SortedSetRemoveAsync(_keyspace.UserKeyFor(user), [handle, SessionLayout.IndexMember(handle, companion: true)]));
            }
        }

        await Task.WhenAll(unindex).WaitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
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
}
