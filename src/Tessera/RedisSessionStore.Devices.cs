using StackExchange.Redis;
using Tessera.Internal;

using Tessera.Redis;
using Tessera.Wire;

namespace Tessera;

/// <summary>
/// A user's devices ("your devices"): the index read with each member's metadata, a login and the
/// sessions signed in with it merged into one entry, paged; and a user's data erased or exported.
/// </summary>
public sealed partial class RedisSessionStore
{
    /// <summary>
    /// The devices of a user, with created, authenticated at, last seen, first and last client.
    /// A login (a cookie-authentication ticket) and the session its browser signed in with are one
    /// entry. Index members whose session has gone (idle expiry, logout) are dropped as they are found.
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The devices, most recently seen first.</returns>
    public async Task<IReadOnlyList<SessionInfo>> GetUserSessionsAsync(string userId, CancellationToken cancellationToken = default) =>
        (await GetUserSessionsPageAsync(userId, 0, int.MaxValue, null, cancellationToken).ConfigureAwait(false)).Devices;

    /// <summary>
    /// One page of a user's devices, most recently seen first. The index is bounded by
    /// <see cref="TesseraOptions.MaxSessionsPerUser"/>, so a page costs at most that many reads, pipelined.
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="offset">How many devices to skip.</param>
    /// <param name="count">How many to return at most.</param>
    /// <param name="currentId">The current request's session identifier, or null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The page, with the total.</returns>
    public async Task<UserSessionPage> GetUserSessionsPageAsync(string userId, int offset, int count, string? currentId = null, CancellationToken cancellationToken = default)
    {
        ThrowIfBadUser(userId);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var current = currentId is not null && SessionIds.IsValid(currentId) ? SessionIds.Handle(currentId) : null;
        var rows = await IndexRowsAsync(userId, cancellationToken).ConfigureAwait(false);
        var devices = Merge(rows, current);
        devices.Sort(static (a, b) => b.Metadata.LastAccess.CompareTo(a.Metadata.LastAccess));
        var items = devices.Skip(offset).Take(count).ToList();
        return new UserSessionPage(items, devices.Count, offset);
    }

    /// <summary>
    /// Erases a user's sessions and device records (a GDPR erasure): every session and login is
    /// revoked as by "log out everywhere", and the index goes with them. The revocation mark (the
    /// user id and a time, for ten minutes) is kept so a sign-in in flight cannot survive the erasure.
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many sessions were erased.</returns>
    public async Task<int> EraseUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        // Revoke-all takes (deletes) the index in the same step as it reads it; deleting it again here
        // could drop a sign-in that came after the erasure from its index.
        return await RevokeUserSessionsByHandleAsync(userId, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Exports what Tessera holds about a user (a GDPR access request): each device record and each
    /// session's values, decoded (decrypted), as stored under the handle.
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The export.</returns>
    public async Task<UserExport> ExportUserAsync(string userId, CancellationToken cancellationToken = default)
    {
        ThrowIfBadUser(userId);
        var rows = await IndexRowsAsync(userId, cancellationToken).ConfigureAwait(false);
        var sessions = new List<ExportedSession>(rows.Count);
        foreach (var row in rows)
        {
            // Read as an operator does: an export neither slides a session nor records a client.
            var load = await LoadHandleAsync(row.Handle, refresh: false, cancellationToken).ConfigureAwait(false);
            if (load.Status == LoadStatus.Corrupt)
            {
                // Values this app cannot decode (a retired key, a hostile write): listed, not dropped.
                sessions.Add(new ExportedSession(row.Handle, row.Metadata, new Dictionary<string, byte[]>()) { Decoded = false });
                continue;
            }

            if (load.Record is not { } record || record.Metadata.UserId != userId)
            {
                continue;
            }

            sessions.Add(new ExportedSession(row.Handle, record.Metadata, record.Values.ToDictionary(static p => p.Key, static p => p.Value, StringComparer.Ordinal)));
        }

        return new UserExport(userId, _redis.Time.GetUtcNow(), Merge(rows, null), sessions);
    }

    /// <summary>One index member and its session's metadata (<see cref="SessionLayout.MetadataFields"/>).</summary>
    private sealed record IndexRow(string Member, string Handle, bool Companion, SessionMetadata Metadata)
    {
        public string? Login => Metadata.LoginHandle;
    }

    /// <summary>The live members of a user's index with their metadata; the gone ones are pruned.</summary>
    private async Task<List<IndexRow>> IndexRowsAsync(string userId, CancellationToken cancellationToken)
    {
        var members = await IndexMembersAsync(userId, cancellationToken).ConfigureAwait(false);
        if (members.Count == 0)
        {
            return [];
        }

        // One HMGET per member (each in its own cluster slot), pipelined, on the one call path.
        var replies = await _redis.RunAsync(
            "user sessions",
            db => Task.WhenAll(members.Select(m => db.HashGetAsync(KeyForHandle(m.Handle), SessionLayout.MetadataFields))),
            cancellationToken,
            idempotent: true,
            "HMGET").ConfigureAwait(false);

        var rows = new List<IndexRow>(members.Count);
        var gone = new List<RedisValue>();
        for (var n = 0; n < members.Count; n++)
        {
            var f = replies[n];
            if (SessionHash.KindOf(f) != SessionHashKind.Session || (string?)f[(int)MetadataSlot.User] != userId || ToMetadata(f) is not { } metadata)
            {
                gone.Add(members[n].Member);
                continue;
            }

            rows.Add(new IndexRow(members[n].Member, members[n].Handle, members[n].Companion, metadata));
        }

        if (gone.Count > 0)
        {
            await RunAsync(db => db.SortedSetRemoveAsync(UserKeyFor(userId), [.. gone]), "user index prune", "ZREM", cancellationToken).ConfigureAwait(false);
        }

        return rows;
    }

    /// <summary>One entry per device: a login with the sessions that name it; any other session on its own.</summary>
    private static List<SessionInfo> Merge(List<IndexRow> rows, string? current)
    {
        var byHandle = rows.ToDictionary(static r => r.Handle, StringComparer.Ordinal);
        var linked = new Dictionary<string, List<IndexRow>>(StringComparer.Ordinal);
        var devices = new List<SessionInfo>(rows.Count);
        foreach (var row in rows)
        {
            if (row.Login is { } login && login != row.Handle && byHandle.ContainsKey(login))
            {
                (linked.TryGetValue(login, out var list) ? list : linked[login] = []).Add(row);
            }
        }

        foreach (var row in rows)
        {
            if (row.Login is { } login && login != row.Handle && byHandle.ContainsKey(login))
            {
                continue;
            }

            var parts = linked.TryGetValue(row.Handle, out var sessions) ? sessions : [];
            var meta = row.Metadata;
            var latest = meta;
            // The last client is the most recently seen one recorded by any part of the device (a login
            // and its session refresh on their own granularities, so either may hold the newer one).
            SessionMetadata? seen = meta.LastClientIp is not null || meta.LastUserAgent is not null ? meta : null;
            foreach (var part in parts)
            {
                if (part.Metadata.LastAccess > latest.LastAccess)
                {
                    latest = part.Metadata;
                }

                if ((part.Metadata.LastClientIp is not null || part.Metadata.LastUserAgent is not null)
                    && (seen is null || part.Metadata.LastAccess > seen.LastAccess))
                {
                    seen = part.Metadata;
                }
            }

            devices.Add(new SessionInfo(row.Handle, meta with
            {
                LastAccess = latest.LastAccess,
                LastClientIp = seen?.LastClientIp,
                LastUserAgent = seen?.LastUserAgent,
                AuthenticatedAt = Max(meta.AuthenticatedAt, parts.Select(static p => p.Metadata.AuthenticatedAt)),
            })
            {
                LinkedHandles = [.. parts.Select(static p => p.Handle)],
                IsCurrent = current is not null && (row.Handle == current || parts.Exists(p => p.Handle == current)),
            });
        }

        return devices;

        static DateTimeOffset? Max(DateTimeOffset? first, IEnumerable<DateTimeOffset?> rest)
        {
            var best = first;
            foreach (var value in rest)
            {
                if (value is { } v && (best is null || v > best))
                {
                    best = v;
                }
            }

            return best;
        }
    }

    /// <summary>The metadata of an index member's session, or null when its fields are damaged (listed as gone).</summary>
    private static SessionMetadata? ToMetadata(RedisValue[] f)
    {
        try
        {
            return SessionHash.Metadata(f);
        }
        catch (CorruptSessionException)
        {
            return null;
        }
    }
}
