using StackExchange.Redis;
using Microsoft.Extensions.Logging;
using Tessera.Internal;
using Tessera.Redis;
using Tessera.Wire;

namespace Tessera;

/// <summary>
/// A store's users (<see cref="RedisSessionStore.Users"/>): the user index (which sessions a user has),
/// a user's devices ("your devices"), and revocation: "log out everywhere", one device, an identity
/// provider's session (OpenID Connect back-channel logout), with its one-time claims, and the liveness
/// check live connections repeat. Every command touches one key, so each is single-slot on Cluster; every
/// call goes through the store's one call path.
/// </summary>
public sealed partial class SessionUsers
{
    /// <summary>How many tombstones a delete follows forwards.</summary>
    private const int MaxForwardHops = 4;

    private readonly RedisSessionStore _store;
    private readonly RedisGateway _redis;
    private readonly TesseraOptions _options;
    private readonly TesseraMetrics _metrics;
    private readonly ILogger _logger;

    internal SessionUsers(RedisSessionStore store)
    {
        _store = store;
        _redis = store.Redis;
        _options = store.Options;
        _metrics = store.Metrics;
        _logger = store.Logger;
    }

    /// <summary>The Redis key of a user's index: a sorted set of session handles scored by absolute deadline.</summary>
    /// <param name="userId">The user.</param>
    /// <returns><c>{prefix}user:{userId}</c>.</returns>
    public RedisKey UserKeyFor(string userId) => SessionLayout.UserKey(_options.KeyPrefix, userId);

    /// <summary>Binds a live session to a user: writes the user into the session and adds it to the index.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The outcome.</returns>
    public async Task<CommitResult> BindUserAsync(string id, string userId, CancellationToken cancellationToken = default)
    {
        ThrowIfBadUser(userId);
        var result = await _store.CommitAsync(id, new SessionChanges(), new SessionWrite { UserId = userId }, followRotation: false, cancellationToken).ConfigureAwait(false);
        if (result.Status == CommitStatus.Committed)
        {
            var load = await _store.LoadAsync(id, cancellationToken).ConfigureAwait(false);
            if (load.Record is { } record)
            {
                await IndexAsync(userId, id, null, record.Metadata.AbsoluteDeadline, cancellationToken, record.Metadata.LoginHandle is not null).ConfigureAwait(false);
                _store.Raise(new TesseraEvent(TesseraEventKind.UserBound, SessionIds.LogTag(id), userId));
            }
        }

        return result;
    }

    /// <summary>
    /// Adds (or re-scores) a session in its user's index, applying <see cref="TesseraOptions.MaxSessionsPerUser"/>
    /// to a new device: <see cref="SessionLimitException"/> with <see cref="SessionLimitPolicy.DenyNew"/>
    /// (the caller drops what it created), else the devices whose logins expire first are revoked.
    /// </summary>
    internal Task IndexAsync(string userId, string id, string? replaces, DateTimeOffset deadline, CancellationToken cancellationToken, bool companion = false, string? exempt = null) =>
        IndexHandleAsync(userId, SessionIds.Handle(id), replaces is null ? null : SessionIds.Handle(replaces), deadline, cancellationToken, companion, exempt is null ? null : SessionIds.Handle(exempt));

    /// <summary>As <see cref="IndexAsync"/>, by handles (the store's request path has them hashed already).</summary>
    internal async Task IndexHandleAsync(string userId, string handle, string? replacesHandle, DateTimeOffset deadline, CancellationToken cancellationToken, bool companion = false, string? exemptHandle = null, bool retried = false)
    {
        ThrowIfBadUser(userId);
        var reply = await _redis.EvalAsync(
            LuaScripts.IndexAdd,
            UserKeyFor(userId),
            [
                SessionLayout.IndexMember(handle, companion),
                deadline.ToUnixTimeMilliseconds(),
                replacesHandle ?? string.Empty,
                _options.MaxSessionsPerUser,
                _options.SessionLimitPolicy == SessionLimitPolicy.EvictOldest ? "evict" : "deny",
                exemptHandle ?? string.Empty,
            ],
            "user index",
            cancellationToken,
            idempotent: true).ConfigureAwait(false);
        var parts = (RedisResult[])reply!;
        var status = (ScriptStatus)(int)parts[0];
        if (status == ScriptStatus.LimitReached && !retried && await PrunedBelowAsync(userId, (long)parts[1], exemptHandle, cancellationToken).ConfigureAwait(false))
        {
            // The index still listed devices that are gone (idle expiry, "everyone at once"): pruned, try once more.
            await IndexHandleAsync(userId, handle, replacesHandle, deadline, cancellationToken, companion, exemptHandle, retried: true).ConfigureAwait(false);
            return;
        }

        if (status == ScriptStatus.LimitReached)
        {
            StoreLog.LimitReached(_logger, SessionIds.TagOfHandle(handle), _options.MaxSessionsPerUser);
            throw new SessionLimitException(_options.MaxSessionsPerUser);
        }

        if (status == ScriptStatus.Ok && parts.Length > 1)
        {
            // The script left these listed: each leaves the index only once it has been ended, so a
            // failure here keeps a live device visible (and the next sign-in evicts it again).
            foreach (var evicted in (RedisResult[])parts[1]!)
            {
                if (SessionIds.IsValid((string?)evicted))
                {
                    await RevokeDeviceCoreAsync((string)evicted!, userId, "limit", cancellationToken).ConfigureAwait(false);
                    await RunAsync(db => db.SortedSetRemoveAsync(UserKeyFor(userId), MemberForms((string)evicted!)), "user index prune", "ZREM", cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Whether pruning the user's index (<see cref="IndexRowsAsync"/>: members whose session has gone or was
    /// created before "everyone at once") leaves fewer devices than the limit script counted. Only on the
    /// limit's path, so a sign-in under the limit pays nothing.
    /// </summary>
    private async Task<bool> PrunedBelowAsync(string userId, long counted, string? exemptHandle, CancellationToken cancellationToken)
    {
        var rows = await IndexRowsAsync(userId, cancellationToken).ConfigureAwait(false);
        return rows.Count(r => !r.Companion && r.Handle != exemptHandle) < counted;
    }

    /// <summary>
    /// Indexes a session just created (a sign-in, a rotation's new session); when the per-user limit
    /// refuses it (<see cref="SessionLimitPolicy.DenyNew"/>) deletes it, so it never serves, and throws.
    /// </summary>
    /// <exception cref="SessionLimitException">The user is at the limit.</exception>
    internal async Task IndexNewAsync(string userId, string handle, DateTimeOffset deadline, bool companion, string? exemptHandle, CancellationToken cancellationToken)
    {
        try
        {
            await IndexHandleAsync(userId, handle, null, deadline, cancellationToken, companion, exemptHandle).ConfigureAwait(false);
        }
        catch (SessionLimitException)
        {
            await DeleteAsync(handle, userId, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Makes a session its login's companion in the index: listed and revoked with the login, not counted as a device.</summary>
    internal Task IndexAsCompanionAsync(string userId, string id, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        IndexAsync(userId, id, id, deadline, cancellationToken, companion: true);

    /// <summary>Removes a session from a user's index (it was bound to another user since).</summary>
    internal Task UnindexAsync(string userId, string id, CancellationToken cancellationToken) =>
        UnindexHandleAsync(userId, SessionIds.Handle(id), cancellationToken);

    /// <summary>Removes a session from a user's index, by handle.</summary>
    internal Task UnindexHandleAsync(string userId, string handle, CancellationToken cancellationToken) =>
        RunAsync(db => db.SortedSetRemoveAsync(UserKeyFor(userId), MemberForms(handle)), "user index prune", "ZREM", cancellationToken);

    /// <summary>Both forms a handle may have in an index (plain and companion), for removal.</summary>
    private static RedisValue[] MemberForms(string handle) => [handle, SessionLayout.IndexMember(handle, companion: true)];

    /// <summary>Deletes the session a handle names (and removes it from its user's index), and follows its tombstone forwards.</summary>
    /// <param name="handle">The session's handle.</param>
    /// <param name="userId">Its user, when the caller knows.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <param name="ended">Collects the handle of each key deleted (the tombstone and the sessions it forwards to), for the revocation notice.</param>
    internal async Task<(bool Deleted, string? UserId)> DeleteAsync(string handle, string? userId, CancellationToken cancellationToken, List<string>? ended = null)
    {
        SessionKey.ThrowIfMalformed(handle);
        var id = handle;
        var deletedAny = false;
        for (var hop = 0; hop <= MaxForwardHops; hop++)
        {
            var reply = (RedisResult[])(await _redis.EvalAsync(LuaScripts.Delete, _store.KeyForHandle(id), [], "delete", cancellationToken, idempotent: true).ConfigureAwait(false))!;
            var deleted = (int)reply[0] == 1;
            var user = reply[1].IsNull ? null : (string?)reply[1];
            if (deleted)
            {
                deletedAny = true;
                ended?.Add(id);
                userId ??= user;
                if ((user ?? userId) is { } owner)
                {
                    await RunAsync(db => db.SortedSetRemoveAsync(UserKeyFor(owner), MemberForms(id)), "user index prune", "ZREM", cancellationToken).ConfigureAwait(false);
                }
            }

            // A tombstone forwards to the session it was rotated into: end that one too.
            var forwardedTo = reply.Length > 2 && !reply[2].IsNull ? (string?)reply[2] : null;
            if (!SessionIds.IsValid(forwardedTo))
            {
                break;
            }

            id = forwardedTo!;
        }

        return (deletedAny, userId);
    }

    /// <summary>The members of a user's index, as (member as stored, handle, companion), dropping malformed ones.</summary>
    private async Task<List<(string Member, string Handle, bool Companion)>> IndexMembersAsync(string userId, CancellationToken cancellationToken)
    {
        var reply = (RedisResult[])(await _redis.EvalAsync(LuaScripts.IndexList, UserKeyFor(userId), [], "user index", cancellationToken, idempotent: true).ConfigureAwait(false))!;
        var pairs = (RedisResult[])reply[1]!;
        var members = new List<(string, string, bool)>(pairs.Length / 2);
        for (var n = 0; n + 1 < pairs.Length; n += 2)
        {
            var member = (string?)pairs[n];
            if (SessionLayout.TryParseMember(member, out var handle, out var companion))
            {
                members.Add((member!, handle, companion));
            }
        }

        return members;
    }

    /// <summary>A direct command (not a script) on the one call path; index upkeep is harmless to send again.</summary>
    private Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation, string name, string command, CancellationToken cancellationToken) =>
        _redis.RunAsync(name, operation, cancellationToken, idempotent: true, command);

    internal static void ThrowIfBadUser(string userId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        if (!SessionLayout.IsValidUser(userId))
        {
            throw new ArgumentException($"A user id must be 1 to {SessionLayout.MaxUserIdLength} characters without control characters.", nameof(userId));
        }
    }

    /// <summary>
    /// For a rotation about to hand out its new session: whether the new member is still in the user's
    /// index (a "log out everywhere" did not take it) and no revocation of the user began after the load.
    /// </summary>
    internal async Task<bool> ConfirmIndexedAsync(string userId, string newMember, string oldHandle, DateTimeOffset loadedAt, CancellationToken cancellationToken)
    {
        var confirmed = (int)(await _redis.EvalAsync(LuaScripts.IndexConfirm, UserKeyFor(userId), [newMember, oldHandle], "user index", cancellationToken, idempotent: true).ConfigureAwait(false)) == 1;
        if (!confirmed)
        {
            return false;
        }

        return !await RevokedSinceAsync(userId, loadedAt, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a "log out everywhere" of the user began at or after a time (Redis's clock).</summary>
    internal async Task<bool> RevokedSinceAsync(string userId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var mark = await RunAsync(db => db.StringGetAsync(RevokedKeyFor(userId)), "user index", "GET", cancellationToken).ConfigureAwait(false);
        return mark.TryParse(out long revokedAt) && since != default && revokedAt >= since.ToUnixTimeMilliseconds();
    }

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
        var devices = UserDevices.Merge(rows, current);
        devices.Sort(static (a, b) => b.Metadata.LastAccess.CompareTo(a.Metadata.LastAccess));
        var items = devices.Skip(offset).Take(count).ToList();
        return new UserSessionPage(items, devices.Count, offset);
    }

    /// <summary>
    /// The live members of a user's index with their metadata; the gone ones are pruned, and those
    /// "everyone at once" ended are pruned and deleted (only then: one Delete each, pipelined).
    /// </summary>
    internal async Task<List<UserIndexRow>> IndexRowsAsync(string userId, CancellationToken cancellationToken)
    {
        var members = await IndexMembersAsync(userId, cancellationToken).ConfigureAwait(false);
        if (members.Count == 0)
        {
            return [];
        }

        // One HMGET per member (each in its own cluster slot), pipelined, on the one call path.
        // The "everyone at once" epoch rides in the same batch: a device created at or before it is gone.
        var (replies, epoch) = await _redis.RunBesideEpochAsync(
            "user sessions",
            db => Task.WhenAll(members.Select(m => db.HashGetAsync(_store.KeyForHandle(m.Handle), SessionLayout.MetadataFields))),
            cancellationToken,
            idempotent: true,
            "HMGET").ConfigureAwait(false);

        var rows = new List<UserIndexRow>(members.Count);
        var gone = new List<RedisValue>();
        var dead = new List<string>();
        for (var n = 0; n < members.Count; n++)
        {
            var f = replies[n];
            if (SessionHash.KindOf(f) != SessionHashKind.Session || (string?)f[(int)SessionMetadataField.User] != userId || UserDevices.ToMetadata(f) is not { } metadata)
            {
                gone.Add(members[n].Member);
                continue;
            }

            if (EveryoneRevocation.Ends(metadata.Created.ToUnixTimeMilliseconds(), epoch))
            {
                // Dead, but its key still holds the user's data until its TTL: deleted as it leaves the
                // index, so no later erasure (which works from the index) can miss it.
                gone.Add(members[n].Member);
                dead.Add(members[n].Handle);
                continue;
            }

            rows.Add(new UserIndexRow(members[n].Member, members[n].Handle, members[n].Companion, metadata));
        }

        if (dead.Count > 0)
        {
            await Task.WhenAll(dead.Select(handle => DeleteAsync(handle, userId, cancellationToken))).ConfigureAwait(false);
        }

        if (gone.Count > 0)
        {
            await RunAsync(db => db.SortedSetRemoveAsync(UserKeyFor(userId), [.. gone]), "user index prune", "ZREM", cancellationToken).ConfigureAwait(false);
        }

        return rows;
    }
}
