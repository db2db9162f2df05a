using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera;

/// <summary>The user index: which sessions a user has, listing them, and revoking them.</summary>
public sealed partial class RedisSessionStore
{
    private const int MaxUserIdLength = 512;

    /// <summary>How long a "log out everywhere" mark is kept: longer than any request holds a loaded session.</summary>
    private static readonly TimeSpan RevocationMarkLifetime = TimeSpan.FromMinutes(10);

    /// <summary>The Redis key of a user's index: a sorted set of session handles scored by absolute deadline.</summary>
    /// <param name="userId">The user.</param>
    /// <returns><c>{prefix}user:{userId}</c>.</returns>
    public RedisKey UserKeyFor(string userId) => SessionLayout.UserKey(_options.KeyPrefix, userId);

    /// <summary>The Redis key of a session's lock, named by the session's handle.</summary>
    /// <param name="id">The session identifier.</param>
    /// <returns><c>{prefix}lock:{handle}</c>.</returns>
    public RedisKey LockKeyFor(string id) => SessionLayout.LockKey(_options.KeyPrefix, SessionIds.Handle(id));

    /// <summary>
    /// The live sessions of a user, with created, last seen, client address and user agent. Index
    /// members whose session has gone (idle expiry, logout) are dropped as they are found.
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The sessions, most recently seen first.</returns>
    public async Task<IReadOnlyList<SessionInfo>> GetUserSessionsAsync(string userId, CancellationToken cancellationToken = default)
    {
        ThrowIfBadUser(userId);
        var members = await IndexMembersAsync(userId, cancellationToken).ConfigureAwait(false);
        if (members.Count == 0)
        {
            return [];
        }

        var db = await _connection.GetDatabaseAsync().ConfigureAwait(false);
        RedisValue[][] rows;
        try
        {
            rows = await Task.WhenAll(members.Select(id => db.HashGetAsync(KeyForHandle(id), SessionLayout.MetadataFields)))
                .WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable("user sessions", ex);
        }

        var sessions = new List<SessionInfo>(members.Count);
        var gone = new List<RedisValue>();
        for (var n = 0; n < members.Count; n++)
        {
            var row = rows[n];
            if (row[(int)MetadataSlot.Created].IsNull || !row[(int)MetadataSlot.RotatedTo].IsNull || (string?)row[(int)MetadataSlot.User] != userId)
            {
                gone.Add(members[n]);
                continue;
            }

            sessions.Add(new SessionInfo(members[n], new SessionMetadata
            {
                Created = FromMs(row[(int)MetadataSlot.Created]),
                LastAccess = FromMs(row[(int)MetadataSlot.LastAccess]),
                IdleTimeout = TimeSpan.FromMilliseconds((long)row[(int)MetadataSlot.IdleMs]),
                AbsoluteDeadline = FromMs(row[(int)MetadataSlot.Deadline]),
                Size = row[(int)MetadataSlot.Size].IsNull ? 0 : (long)row[(int)MetadataSlot.Size],
                UserId = row[(int)MetadataSlot.User],
                ClientIp = row[(int)MetadataSlot.ClientIp],
                UserAgent = row[(int)MetadataSlot.UserAgent],
            }));
        }

        if (gone.Count > 0)
        {
            await RunAsync(db => db.SortedSetRemoveAsync(UserKeyFor(userId), [.. gone]), "user index prune", cancellationToken).ConfigureAwait(false);
        }

        sessions.Sort(static (a, b) => b.Metadata.LastAccess.CompareTo(a.Metadata.LastAccess));
        return sessions;

        static DateTimeOffset FromMs(RedisValue value) => DateTimeOffset.FromUnixTimeMilliseconds(value.IsNull ? 0 : (long)value);
    }

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
            await EvalAsync(LuaScripts.MarkRevoked, RevokedKeyFor(userId), [(long)RevocationMarkLifetime.TotalMilliseconds], "revoke user sessions", cancellationToken, idempotent: true).ConfigureAwait(false);
            var taken = (RedisResult[])(await EvalAsync(LuaScripts.IndexTake, UserKeyFor(userId), [], "revoke user sessions", cancellationToken).ConfigureAwait(false))!;
            targets = ((RedisResult[])taken[1]!).Select(m => (string)m!).Where(SessionIds.IsValid).ToList();
        }
        else
        {
            var keep = exceptHandle;
            var members = await IndexMembersAsync(userId, cancellationToken).ConfigureAwait(false);
            targets = members.Where(handle => handle != keep && SessionIds.IsValid(handle)).ToList();
        }

        if (targets.Count == 0)
        {
            return 0;
        }

        // One Delete per session (each key is in its own cluster slot), pipelined; tombstones are followed.
        (bool Deleted, string? UserId)[] deleted;
        try
        {
            deleted = await Task.WhenAll(targets.Select(id => DeleteCoreAsync(id, userId, cancellationToken)))
                .WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable("revoke user sessions", ex);
        }

        if (exceptId is not null)
        {
            await RunAsync(db => db.SortedSetRemoveAsync(UserKeyFor(userId), [.. targets.Select(id => (RedisValue)id)]), "user index prune", cancellationToken).ConfigureAwait(false);
        }

        var count = 0;
        for (var n = 0; n < targets.Count; n++)
        {
            if (deleted[n].Deleted)
            {
                count++;
                _metrics.Revoked.Add(1);
                var tag = SessionIds.TagOfHandle(targets[n]);
                LogRevoked(_logger, tag, exceptId is null ? "all sessions of the user" : "other sessions of the user");
                Raise(new TesseraEvent(TesseraEventKind.Revoked, tag, userId, Detail: exceptId is null ? "user" : "other-devices"));
            }
        }

        return count;
    }

    /// <summary>The Redis key that marks when all of a user's sessions were last revoked.</summary>
    /// <param name="userId">The user.</param>
    /// <returns><c>{prefix}revoked:{userId}</c>.</returns>
    public RedisKey RevokedKeyFor(string userId) => SessionLayout.RevokedKey(_options.KeyPrefix, userId);

    /// <summary>Revokes one session, given its identifier: deletes it and removes it from its user's index.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when a session was revoked.</returns>
    public Task<bool> RevokeAsync(string id, CancellationToken cancellationToken = default)
    {
        ThrowIfMalformed(id);
        return RevokeByHandleAsync(SessionIds.Handle(id), cancellationToken);
    }

    /// <summary>
    /// Revokes one session, given its handle (an operator's or a "your devices" action: what
    /// <see cref="GetUserSessionsAsync"/>, the CLI and the dashboard show): deletes it, and the session
    /// it was rotated into if it is a tombstone, and removes it from its user's index.
    /// </summary>
    /// <param name="handle">The session's handle (<see cref="SessionInfo.Handle"/>).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when a session was revoked.</returns>
    public async Task<bool> RevokeByHandleAsync(string handle, CancellationToken cancellationToken = default)
    {
        ThrowIfMalformed(handle);
        using var activity = TesseraTelemetry.StartOperation("revocation");
        var (deleted, user) = await DeleteCoreAsync(handle, null, cancellationToken).ConfigureAwait(false);
        if (deleted)
        {
            _metrics.Revoked.Add(1);
            LogRevoked(_logger, SessionIds.TagOfHandle(handle), "single session");
            Raise(new TesseraEvent(TesseraEventKind.Revoked, SessionIds.TagOfHandle(handle), user, Detail: "session"));
        }

        return deleted;
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
                await IndexAsync(userId, id, null, record.Metadata.AbsoluteDeadline, cancellationToken).ConfigureAwait(false);
                Raise(new TesseraEvent(TesseraEventKind.UserBound, SessionIds.LogTag(id), userId));
            }
        }

        return result;
    }

    internal async Task IndexAsync(string userId, string id, string? replaces, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        ThrowIfBadUser(userId);
        await EvalAsync(LuaScripts.IndexAdd, UserKeyFor(userId), [SessionIds.Handle(id), deadline.ToUnixTimeMilliseconds(), replaces is null ? string.Empty : SessionIds.Handle(replaces)], "user index", cancellationToken, idempotent: true).ConfigureAwait(false);
    }

    /// <summary>Removes a session from a user's index (it was bound to another user since).</summary>
    internal Task UnindexAsync(string userId, string id, CancellationToken cancellationToken) =>
        RunAsync(db => db.SortedSetRemoveAsync(UserKeyFor(userId), SessionIds.Handle(id)), "user index prune", cancellationToken);

    /// <summary>Deletes the session a handle names, and follows its tombstone forwards.</summary>
    internal async Task<(bool Deleted, string? UserId)> DeleteCoreAsync(string handle, string? userId, CancellationToken cancellationToken)
    {
        ThrowIfMalformed(handle);
        var id = handle;
        var deletedAny = false;
        for (var hop = 0; hop <= MaxRotationHops; hop++)
        {
            var reply = (RedisResult[])(await EvalAsync(LuaScripts.Delete, KeyForHandle(id), [], "delete", cancellationToken, idempotent: true).ConfigureAwait(false))!;
            var deleted = (int)reply[0] == 1;
            var user = reply[1].IsNull ? null : (string?)reply[1];
            if (deleted)
            {
                deletedAny = true;
                userId ??= user;
                if ((user ?? userId) is { } owner)
                {
                    await RunAsync(db => db.SortedSetRemoveAsync(UserKeyFor(owner), id), "user index prune", cancellationToken).ConfigureAwait(false);
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

    private async Task<List<string>> IndexMembersAsync(string userId, CancellationToken cancellationToken)
    {
        var reply = (RedisResult[])(await EvalAsync(LuaScripts.IndexList, UserKeyFor(userId), [], "user index", cancellationToken, idempotent: true).ConfigureAwait(false))!;
        var pairs = (RedisResult[])reply[1]!;
        var members = new List<string>(pairs.Length / 2);
        for (var n = 0; n + 1 < pairs.Length; n += 2)
        {
            members.Add((string)pairs[n]!);
        }

        return members;
    }

    /// <summary>A direct command (not a script) within the bound and through the circuit breaker.</summary>
    private Task<T> RunAsync<T>(Func<IDatabase, Task<T>> operation, string name, CancellationToken cancellationToken) =>
        GuardedRunAsync(operation, name, cancellationToken);

    private async Task<T> RunUnguardedAsync<T>(Func<IDatabase, Task<T>> operation, string name, CancellationToken cancellationToken)
    {
        try
        {
            var db = await _connection.GetDatabaseAsync().ConfigureAwait(false);
            return await operation(db).WaitAsync(_options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            throw Unavailable(name, ex);
        }
    }

    private static void ThrowIfBadUser(string userId)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        if (userId.Length > MaxUserIdLength || userId.Any(char.IsControl))
        {
            throw new ArgumentException($"A user id must be 1 to {MaxUserIdLength} characters without control characters.", nameof(userId));
        }
    }
}
