using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tessera.Internal;
using Tessera.Redis;

namespace Tessera;

/// <summary>
/// Revocation: "log out everywhere", one device, "everyone at once", and the liveness check live
/// connections use; every revocation deletes the keys, unindexes them, publishes a notice and waits for a replica.
/// </summary>
public sealed partial class SessionUsers
{
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
