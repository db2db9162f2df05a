using StackExchange.Redis;
using Tessera.Internal;

using Tessera.Redis;

namespace Tessera;

/// <summary>The user index: which sessions a user has, listing them, and revoking them.</summary>
public sealed partial class RedisSessionStore
{
    /// <summary>The longest user id the store accepts (the CLI, dashboard and ticket store check against it too).</summary>
    internal const int MaxUserIdLength = 512;

    /// <summary>How long a "log out everywhere" mark is kept: longer than any request holds a loaded session.</summary>
    internal static readonly TimeSpan RevocationMarkLifetime = TimeSpan.FromMinutes(10);

    /// <summary>The Redis key of a user's index: a sorted set of session handles scored by absolute deadline.</summary>
    /// <param name="userId">The user.</param>
    /// <returns><c>{prefix}user:{userId}</c>.</returns>
    public RedisKey UserKeyFor(string userId) => SessionLayout.UserKey(_options.KeyPrefix, userId);

    /// <summary>The Redis key of a session's lock, named by the session's handle.</summary>
    /// <param name="id">The session identifier.</param>
    /// <returns><c>{prefix}lock:{handle}</c>.</returns>
    public RedisKey LockKeyFor(string id) => SessionLayout.LockKey(_options.KeyPrefix, SessionIds.Handle(id));

    /// <summary>
    /// Revokes every session of a user ("log out everywhere"), or all but one ("log out my other
    /// devices"). After revoking every session returns, no session of the user that existed or was
    /// being rotated or signed in from a loaded session when it started can serve a request: the index
    /// is taken in one step, tombstones are followed to the session they forward to, and a rotation
    /// in progress finds its new id revoked when it confirms it (see <see cref="RotateAsync"/>).
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="exceptId">The identifier of a session to keep (the current one), or null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many sessions were revoked.</returns>
    public Task<int> RevokeUserSessionsAsync(string userId, string? exceptId = null, CancellationToken cancellationToken = default)
    {
        if (exceptId is not null)
        {
            ThrowIfMalformed(exceptId);
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
            await _redis.EvalAsync(LuaScripts.MarkRevoked, RevokedKeyFor(userId), [(long)RevocationMarkLifetime.TotalMilliseconds], "revoke user sessions", cancellationToken, idempotent: true).ConfigureAwait(false);
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
        try
        {
            deleted = await Task.WhenAll(handles.Select(handle => DeleteCoreAsync(handle, userId, cancellationToken)))
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
                LogRevoked(_logger, tag, reason);
                Raise(new TesseraEvent(TesseraEventKind.Revoked, tag, deleted[n].UserId ?? userId, Detail: detail));
            }
        }

        return count;
    }

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
        ThrowIfMalformed(id);
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
        ThrowIfMalformed(handle);
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
        ThrowIfMalformed(handle);
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
    private async Task<int> RevokeDeviceCoreAsync(string handle, string? userId, string detail, CancellationToken cancellationToken, List<IndexRow>? rows = null)
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
                        return await db.HashGetAsync(KeyForHandle(handle), [SessionLayout.User, SessionLayout.Login]).ConfigureAwait(false);
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

        if (userId is not null && IsValidUser(userId))
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
        var result = await CommitAsync(id, new SessionChanges(), new SessionWrite { UserId = userId }, followRotation: false, cancellationToken).ConfigureAwait(false);
        if (result.Status == CommitStatus.Committed)
        {
            var load = await LoadAsync(id, cancellationToken).ConfigureAwait(false);
            if (load.Record is { } record)
            {
                await IndexAsync(userId, id, null, record.Metadata.AbsoluteDeadline, cancellationToken, record.Metadata.LoginHandle is not null).ConfigureAwait(false);
                Raise(new TesseraEvent(TesseraEventKind.UserBound, SessionIds.LogTag(id), userId));
            }
        }

        return result;
    }

    /// <summary>
    /// Adds (or re-scores) a session in its user's index, applying <see cref="TesseraOptions.MaxSessionsPerUser"/>
    /// to a new device: <see cref="SessionLimitException"/> with <see cref="SessionLimitPolicy.DenyNew"/>
    /// (the caller drops what it created), else the devices whose logins expire first are revoked.
    /// </summary>
    internal async Task IndexAsync(string userId, string id, string? replaces, DateTimeOffset deadline, CancellationToken cancellationToken, bool companion = false, string? exempt = null)
    {
        ThrowIfBadUser(userId);
        var handle = SessionIds.Handle(id);
        var reply = await _redis.EvalAsync(
            LuaScripts.IndexAdd,
            UserKeyFor(userId),
            [
                SessionLayout.IndexMember(handle, companion),
                deadline.ToUnixTimeMilliseconds(),
                replaces is null ? string.Empty : SessionIds.Handle(replaces),
                _options.MaxSessionsPerUser,
                _options.SessionLimitPolicy == SessionLimitPolicy.EvictOldest ? "evict" : "deny",
                exempt is null ? string.Empty : SessionIds.Handle(exempt),
            ],
            "user index",
            cancellationToken,
            idempotent: true).ConfigureAwait(false);
        var parts = (RedisResult[])reply!;
        var status = (ScriptStatus)(int)parts[0];
        if (status == ScriptStatus.LimitReached)
        {
            LogLimitReached(_logger, SessionIds.TagOfHandle(handle), _options.MaxSessionsPerUser);
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

    /// <summary>Makes a session its login's companion in the index: listed and revoked with the login, not counted as a device.</summary>
    internal Task IndexAsCompanionAsync(string userId, string id, DateTimeOffset deadline, CancellationToken cancellationToken) =>
        IndexAsync(userId, id, id, deadline, cancellationToken, companion: true);

    /// <summary>Removes a session from a user's index (it was bound to another user since).</summary>
    internal Task UnindexAsync(string userId, string id, CancellationToken cancellationToken) =>
        RunAsync(db => db.SortedSetRemoveAsync(UserKeyFor(userId), MemberForms(SessionIds.Handle(id))), "user index prune", "ZREM", cancellationToken);

    /// <summary>Both forms a handle may have in an index (plain and companion), for removal.</summary>
    private static RedisValue[] MemberForms(string handle) => [handle, SessionLayout.IndexMember(handle, companion: true)];

    /// <summary>Deletes the session a handle names, and follows its tombstone forwards.</summary>
    internal async Task<(bool Deleted, string? UserId)> DeleteCoreAsync(string handle, string? userId, CancellationToken cancellationToken)
    {
        ThrowIfMalformed(handle);
        var id = handle;
        var deletedAny = false;
        for (var hop = 0; hop <= MaxRotationHops; hop++)
        {
            var reply = (RedisResult[])(await _redis.EvalAsync(LuaScripts.Delete, KeyForHandle(id), [], "delete", cancellationToken, idempotent: true).ConfigureAwait(false))!;
            var deleted = (int)reply[0] == 1;
            var user = reply[1].IsNull ? null : (string?)reply[1];
            if (deleted)
            {
                deletedAny = true;
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

    /// <summary>The user-id rule: 1 to <see cref="MaxUserIdLength"/> characters, no control characters.</summary>
    internal static bool IsValidUser(string? userId) => userId is { Length: > 0 and <= MaxUserIdLength } && !userId.Any(char.IsControl);

    private static void ThrowIfBadUser(string userId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        if (!IsValidUser(userId))
        {
            throw new ArgumentException($"A user id must be 1 to {MaxUserIdLength} characters without control characters.", nameof(userId));
        }
    }
}
