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

    /// <summary>
    /// Revokes every session of a user ("log out everywhere"), or all but one ("log out my other
    /// devices"). After revoking every session returns, no session of the user that existed or was
    /// being rotated or signed in from a loaded session when it started can serve a request: the index
    /// is taken in one step, tombstones are followed to the session they forward to, and a rotation
    /// in progress finds its new id revoked when it confirms it (see <see cref="RedisSessionStore.RotateAsync"/>).
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="exceptId">The identifier of a session to keep (the current one), or null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many sessions were revoked.</returns>
    public Task<int> RevokeUserSessionsAsync(string userId, string? exceptId = null, CancellationToken cancellationToken = default)
    {
        if (exceptId is not null)
        {
            SessionKey.ThrowIfMalformed(exceptId);
        }

        return RevokeUserSessionsByHandleAsync(userId, exceptId is null ? null : SessionIds.Handle(exceptId), cancellationToken);
    }

    /// <summary>As <see cref="RevokeUserSessionsAsync"/>, keeping the session of a handle (an operator's <c>--except</c>).</summary>
    internal async Task<int> RevokeUserSessionsByHandleAsync(string userId, string? exceptHandle, CancellationToken cancellationToken = default)
    {
        ThrowIfBadUser(userId);
        var exceptId = exceptHandle;
        using var activity = TesseraTelemetry.StartOperation("revocation");
        List<string> targets;
        if (exceptId is null)
        {
            // The mark first, then the index: a sign-in that loaded its session before the mark and
            // indexes its new id after the take sees the mark when it confirms.
            await _redis.EvalAsync(LuaScripts.MarkRevoked, RevokedKeyFor(userId), [(long)SessionLayout.RevocationMarkLifetime.TotalMilliseconds], "revoke user sessions", cancellationToken, idempotent: true).ConfigureAwait(false);
            var taken = (RedisResult[])(await _redis.EvalAsync(LuaScripts.IndexTake, UserKeyFor(userId), [], "revoke user sessions", cancellationToken).ConfigureAwait(false))!;
            targets = [];
            foreach (var taken1 in (RedisResult[])taken[1]!)
            {
                if (SessionLayout.TryParseMember((string?)taken1, out var handle, out _))
                {
                    targets.Add(handle);
                }
            }
        }
        else
        {
            // "Log out my other devices": this device is the kept session and the login it belongs to
            // (and that login's other sessions, a rotation's leftovers), not only the one session.
            var rows = await IndexRowsAsync(userId, cancellationToken).ConfigureAwait(false);
            var keep = new HashSet<string>(StringComparer.Ordinal) { exceptHandle! };
            if (rows.Find(r => r.Handle == exceptHandle) is { Login: { } login })
            {
                keep.Add(login);
            }

            targets = rows.Where(r => !keep.Contains(r.Handle) && !(r.Login is { } l && keep.Contains(l))).Select(r => r.Handle).ToList();
        }

        if (targets.Count == 0)
        {
            return 0;
        }

        var count = exceptId is null
            ? await EndSessionsAsync(targets, userId, "all sessions of the user", "user", "revoke user sessions", cancellationToken).ConfigureAwait(false)
            : await EndSessionsAsync(targets, userId, "other sessions of the user", "other-devices", "revoke user sessions", cancellationToken).ConfigureAwait(false);
        if (exceptId is not null)
        {
            await RunAsync(db => db.SortedSetRemoveAsync(UserKeyFor(userId), [.. targets.SelectMany(MemberForms)]), "user index prune", "ZREM", cancellationToken).ConfigureAwait(false);
        }

        return count;
    }

    /// <summary>
    /// Ends sessions by handle: one Delete each (every key is in its own cluster slot), pipelined, within
    /// the operation timeout, following tombstones; counts, logs and reports each one that was ended.
    /// </summary>
    /// <returns>How many were ended.</returns>
    private async Task<int> EndSessionsAsync(List<string> handles, string? userId, string reason, string detail, string operation, CancellationToken cancellationToken)
    {
        (bool Deleted, string? UserId)[] deleted;
        var ended = handles.Select(static _ => new List<string>(1)).ToArray();
        try
        {
            deleted = await Task.WhenAll(handles.Select((handle, n) => DeleteAsync(handle, userId, cancellationToken, ended[n])))
                .WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            throw _redis.Translate(operation, ex);
        }

        var count = 0;
        for (var n = 0; n < handles.Count; n++)
        {
            if (deleted[n].Deleted)
            {
                count++;
                _metrics.Revoked.Add(1);
                var tag = SessionIds.TagOfHandle(handles[n]);
                StoreLog.Revoked(_logger, tag, reason);
                _store.Raise(new TesseraEvent(TesseraEventKind.Revoked, tag, deleted[n].UserId ?? userId, Detail: detail));
            }
        }

        List<string> all = [.. ended.SelectMany(static e => e).Distinct(StringComparer.Ordinal)];
        _store.Revocations.Publish(RevocationScope.Revoked, all);
        await _store.AfterRevocationAsync(all, cancellationToken).ConfigureAwait(false);
        return count;
    }

    /// <summary>
    /// "Everyone at once" (OWASP ASVS 7.4.5, after a key or secret compromise): every session and login of
    /// every user created at or before now (Redis's clock) stops working, in O(1) and without a scan. It
    /// moves one key, <see cref="EveryoneRevokedKey"/>, to now (never backwards; on Cluster, the fastest
    /// clock of the primaries, each read with <c>TIME</c>); every path that can serve
    /// or extend a session (load, commit, the atomics and the take, rotation, the ticket store, device
    /// listings, live connections' re-checks) compares a session's creation time with it, read in the same
    /// round trip as its own command. A rotation keeps the creation time, so it cannot carry a session past
    /// it. The dead keys stay until their TTL or <c>tessera cleanup</c> removes them. Returns once every
    /// primary's clock has passed the epoch, so a session created after it returns is never caught by it.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The epoch: sessions and logins created at or before it are revoked.</returns>
    public async Task<DateTimeOffset> RevokeEverythingAsync(CancellationToken cancellationToken = default)
    {
        using var activity = TesseraTelemetry.StartOperation("revocation");
        var key = EveryoneRevokedKey;
        // Every primary's clock first (one round trip): on Cluster a session's '#c' is its own node's clock,
        // so the epoch is the fastest of them, and every session created anywhere before this is at or before it.
        var clocks = await _redis.PrimaryClocksAsync("revoke everyone", cancellationToken).ConfigureAwait(false);
        var reply = (RedisResult[])(await _redis.EvalAsync(LuaScripts.MarkEveryoneRevoked, key, [clocks.Length > 0 ? clocks.Max() : 0], "revoke everyone", cancellationToken, idempotent: true).ConfigureAwait(false))!;
        var epoch = (long)reply[0];
        var slowest = clocks.Length > 0 ? Math.Min(clocks.Min(), (long)reply[1]) : (long)reply[1];
        // Sessions are created with their server's TIME in ms: wait (a few ms, or the nodes' skew) until every
        // primary's clock has left the epoch's millisecond, so nothing created after this returns counts as before.
        for (var n = 0; slowest <= epoch && n < 1000; n++)
        {
            var now = await _redis.PrimaryClocksAsync("revoke everyone", cancellationToken).ConfigureAwait(false);
            slowest = now.Length > 0
                ? now.Min()
                : (long)await _redis.EvalAsync(LuaScripts.ServerNow, key, [], "revoke everyone", cancellationToken, idempotent: true).ConfigureAwait(false);
        }

        var at = DateTimeOffset.FromUnixTimeMilliseconds(epoch);
        // One log line, no per-session event or count: nothing is enumerated, which is the point.
        StoreLog.EveryoneRevoked(_logger, at);
        _store.Revocations.Publish(RevocationScope.Everyone, []);
        await _store.AfterKeysRevokedAsync([key], cancellationToken).ConfigureAwait(false);
        return at;
    }

    /// <summary>When "everyone at once" last ran: sessions and logins created at or before it are revoked.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The epoch, or null when it never ran.</returns>
    public async Task<DateTimeOffset?> EveryoneRevokedAtAsync(CancellationToken cancellationToken = default)
    {
        var stored = await RunAsync(db => db.StringGetAsync(EveryoneRevokedKey), "revoke everyone", "GET", cancellationToken).ConfigureAwait(false);
        return EveryoneRevocation.EpochOf(stored) is { } epoch ? DateTimeOffset.FromUnixTimeMilliseconds(epoch) : null;
    }

    /// <summary>The Redis key of "everyone at once": the time (unix ms) at or before which every session and login was revoked.</summary>
    /// <value><c>{prefix}everyone-revoked</c>.</value>
    public RedisKey EveryoneRevokedKey => _redis.EpochKey;

    /// <summary>The Redis key that marks when all of a user's sessions were last revoked.</summary>
    /// <param name="userId">The user.</param>
    /// <returns><c>{prefix}revoked:{userId}</c>.</returns>
    public RedisKey RevokedKeyFor(string userId) => SessionLayout.RevokedKey(_options.KeyPrefix, userId);

    /// <summary>Revokes the device of a session, given its identifier, as <see cref="RevokeByHandleAsync"/> does.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when a session was revoked.</returns>
    public Task<bool> RevokeAsync(string id, CancellationToken cancellationToken = default)
    {
        SessionKey.ThrowIfMalformed(id);
        return RevokeByHandleAsync(SessionIds.Handle(id), cancellationToken);
    }

    /// <summary>
    /// Revokes a device, given a handle (an operator's or a "your devices" action: what
    /// <see cref="GetUserSessionsAsync"/>, the CLI and the dashboard show): deletes the session it names
    /// (and the session it was rotated into if it is a tombstone), the login that session belongs to,
    /// and that login's other sessions, and removes each from its user's index.
    /// </summary>
    /// <param name="handle">The session's handle (<see cref="SessionInfo.Handle"/>).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when a session was revoked.</returns>
    public async Task<bool> RevokeByHandleAsync(string handle, CancellationToken cancellationToken = default)
    {
        SessionKey.ThrowIfMalformed(handle);
        using var activity = TesseraTelemetry.StartOperation("revocation");
        var deleted = await RevokeDeviceCoreAsync(handle, null, "session", cancellationToken).ConfigureAwait(false);
        return deleted > 0;
    }

    /// <summary>
    /// Revokes a device only if it is one of the user's ("revoke this device" from a devices page): the
    /// handle must be in the user's index. One read of the index serves the check and the revocation.
    /// </summary>
    internal async Task<bool> RevokeUserDeviceAsync(string userId, string handle, CancellationToken cancellationToken)
    {
        ThrowIfBadUser(userId);
        SessionKey.ThrowIfMalformed(handle);
        var rows = await IndexRowsAsync(userId, cancellationToken).ConfigureAwait(false);
        if (!rows.Exists(r => r.Handle == handle))
        {
            return false;
        }

        using var activity = TesseraTelemetry.StartOperation("revocation");
        return await RevokeDeviceCoreAsync(handle, userId, "session", cancellationToken, rows).ConfigureAwait(false) > 0;
    }

    /// <summary>
    /// Ends a device: the session a handle names, the login it belongs to, and the login's other
    /// sessions (a ticket and the session signed in with it are one device).
    /// </summary>
    private async Task<int> RevokeDeviceCoreAsync(string handle, string? userId, string detail, CancellationToken cancellationToken, List<UserIndexRow>? rows = null)
    {
        var row = rows?.Find(r => r.Handle == handle);
        string? login;
        if (row is not null)
        {
            // The user's index was just read: the session's link is in it, no need to ask again.
            login = row.Login;
        }
        else
        {
            var meta = await RunAsync(
                async db =>
                {
                    try
                    {
                        return await db.HashGetAsync(_store.KeyForHandle(handle), [SessionLayout.User, SessionLayout.Login]).ConfigureAwait(false);
                    }
                    catch (RedisServerException ex) when (RedisFailures.Classify(ex) == RedisFailureKind.Corrupt)
                    {
                        // Not a session hash: nothing links from it (the delete below leaves such a key alone).
                        return [RedisValue.Null, RedisValue.Null];
                    }
                },
                "revoke",
                "HMGET",
                cancellationToken).ConfigureAwait(false);
            userId ??= meta[0].IsNull ? null : (string?)meta[0];
            login = (string?)meta[1];
        }

        var targets = new List<string> { handle };
        if (SessionIds.IsValid(login))
        {
            targets.Add(login!);
        }

        if (userId is not null && SessionLayout.IsValidUser(userId))
        {
            foreach (var other in rows ?? await IndexRowsAsync(userId, cancellationToken).ConfigureAwait(false))
            {
                if (other.Login is { } linkedTo && targets.Contains(linkedTo) && !targets.Contains(other.Handle))
                {
                    targets.Add(other.Handle);
                }
            }
        }

        return await EndSessionsAsync(targets, userId, detail == "limit" ? "oldest device past the per-user limit" : "single device", detail, "revoke", cancellationToken).ConfigureAwait(false);
    }

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

    /// <summary>The key of an identity provider session's logins (<see cref="SessionLayout.IdpSessionKey"/>).</summary>
    internal RedisKey IdpSessionKeyFor(string issuer, string sid) => SessionLayout.IdpSessionKey(_options.KeyPrefix, issuer, sid);

    /// <summary>
    /// Records that a login was signed in with an identity provider's session, until the login's deadline
    /// (the set lives as long as its longest-lived login). One script on one key.
    /// </summary>
    /// <param name="issuer">The identity provider.</param>
    /// <param name="sid">Its session id.</param>
    /// <param name="loginId">The login (ticket) identifier.</param>
    /// <param name="deadline">The login's absolute deadline.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    internal Task IndexIdpSessionAsync(string issuer, string sid, string loginId, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        SessionKey.ThrowIfMalformed(loginId);
        return _redis.EvalAsync(
            LuaScripts.SetAddUntil,
            SessionLayout.IdpSessionKey(_options.KeyPrefix, issuer, sid),
            [SessionIds.Handle(loginId), deadline.ToUnixTimeMilliseconds()],
            "idp session index",
            cancellationToken,
            idempotent: true);
    }

    /// <summary>
    /// Ends every login signed in with an identity provider's session (and each login's device: its
    /// linked sessions), taking the set in one step so a login added after it is not silently kept.
    /// </summary>
    /// <param name="issuer">The identity provider.</param>
    /// <param name="sid">Its session id.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many sessions and logins were ended.</returns>
    internal async Task<int> RevokeIdpSessionAsync(string issuer, string sid, CancellationToken cancellationToken)
    {
        var taken = (RedisResult[])(await _redis.EvalAsync(LuaScripts.SetTake, SessionLayout.IdpSessionKey(_options.KeyPrefix, issuer, sid), [], "idp session logout", cancellationToken).ConfigureAwait(false))!;
        var ended = 0;
        foreach (var member in taken)
        {
            if (SessionIds.IsValid((string?)member))
            {
                using var activity = TesseraTelemetry.StartOperation("revocation");
                ended += await RevokeDeviceCoreAsync((string)member!, null, "idp-session", cancellationToken).ConfigureAwait(false);
            }
        }

        return ended;
    }

    /// <summary>
    /// Claims a value once within a lifetime (<c>SET NX PX</c>): the first caller gets <see langword="true"/>,
    /// every other until it expires <see langword="false"/>. For a logout token's <c>jti</c>.
    /// </summary>
    /// <param name="scope">What the value is (<c>jti</c>).</param>
    /// <param name="issuer">Who issued it.</param>
    /// <param name="value">The value.</param>
    /// <param name="lifetime">How long the claim holds.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether this caller claimed it.</returns>
    internal Task<bool> ClaimOnceAsync(string scope, string issuer, string value, TimeSpan lifetime, CancellationToken cancellationToken) =>
        _redis.RunAsync(
            "one-time claim",
            static (db, s) => db.StringSetAsync(s.Key, 1, s.Lifetime, When.NotExists),
            (Key: SessionLayout.OnceKey(_options.KeyPrefix, scope, issuer, value), Lifetime: lifetime),
            cancellationToken,
            idempotent: false,
            "SET");

    /// <summary>Gives a claim back (the work it guarded failed, so a retry must be let in).</summary>
    /// <param name="scope">What the value is.</param>
    /// <param name="issuer">Who issued it.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    internal Task ReleaseOnceAsync(string scope, string issuer, string value, CancellationToken cancellationToken) =>
        _redis.RunAsync("one-time claim", static (db, k) => db.KeyDeleteAsync(k), SessionLayout.OnceKey(_options.KeyPrefix, scope, issuer, value), cancellationToken, idempotent: true, "DEL");

    /// <summary>
    /// Which of these sessions or logins are still live, for what an app holds open (live connections,
    /// server-sent event streams) and re-checks on a <see cref="RevocationFeed"/> notice: one <c>HMGET</c>
    /// of two fields per handle and the "everyone at once" epoch, pipelined (one round trip for the lot; a
    /// session created at or before the epoch is ended), never sliding a session; a rotated session is
    /// followed to the session it became (one more round trip, only then).
    /// </summary>
    /// <param name="handles">The handles (<see cref="SessionIds.Handle"/> of an id); a malformed one is reported ended.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Per handle, the handle that is live now (itself, or what it was rotated into), or null when it was ended.</returns>
    public async Task<string?[]> LiveHandlesAsync(IReadOnlyList<string> handles, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handles);
        var current = handles.ToArray();
        var live = new string?[current.Length];
        var pending = Enumerable.Range(0, current.Length).Where(n => SessionIds.IsValid(current[n])).ToList();
        for (var hop = 0; hop < 3 && pending.Count > 0; hop++)
        {
            var (replies, epoch) = await _redis.RunBesideEpochAsync(
                "liveness",
                db => Task.WhenAll(pending.Select(n => db.HashGetAsync(_store.KeyForHandle(current[n]), [SessionLayout.Created, SessionLayout.RotatedTo]))),
                cancellationToken,
                idempotent: true,
                "HMGET").ConfigureAwait(false);
            var next = new List<int>();
            for (var i = 0; i < pending.Count; i++)
            {
                var n = pending[i];
                var f = replies[i];
                if (!f[1].IsNull && SessionIds.IsValid((string?)f[1]))
                {
                    current[n] = (string)f[1]!;
                    next.Add(n);
                }
                else if (!f[0].IsNull && !EveryoneRevocation.Ends(f[0].TryParse(out long created) ? created : 0, epoch))
                {
                    live[n] = current[n];
                }
            }

            pending = next;
        }

        return live;
    }
}
