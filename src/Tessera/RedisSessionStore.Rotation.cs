using StackExchange.Redis;
using Tessera.Internal;

using Tessera.Redis;

namespace Tessera;

/// <summary>
/// Identifier rotation, correct on Redis Cluster where the old and new keys live in different
/// slots: write the new session first, then turn the old key into a short-lived tombstone that
/// names the new session's handle (never its identifier), then copy over whatever other requests wrote in between. No request
/// can load the old identifier once it is sealed; a request that loaded it before commits into the
/// new session by following the tombstone.
/// </summary>
public sealed partial class RedisSessionStore
{
    /// <summary>Rotates a loaded session to a new identifier, carrying its values and pending changes over.</summary>
    /// <param name="snapshot">The session as this request loaded it.</param>
    /// <param name="pending">This request's changes not yet written; they are written into the new session.</param>
    /// <param name="write">Metadata to set on the new session (for example a user on sign-in), or null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>
    /// <see cref="CommitStatus.Committed"/> with the new identifier in <see cref="CommitResult.SessionId"/>;
    /// <see cref="CommitStatus.Rotated"/> with the winner's handle in <see cref="CommitResult.RotatedTo"/> when another
    /// request rotated it first; or <see cref="CommitStatus.Gone"/> when the old session ended (or was rotated by another request)
    /// meanwhile, in which case nothing was created.
    /// </returns>
    public async Task<CommitResult> RotateAsync(SessionRecord snapshot, SessionChanges pending, SessionWrite? write = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(pending);
        using var activity = TesseraTelemetry.StartOperation("rotation");
        var oldId = snapshot.Id;
        ThrowIfMalformed(oldId);
        var oldHandle = SessionIds.Handle(oldId);
        var meta = snapshot.Metadata;

        // 1. The new session: the snapshot with this request's changes applied, the old creation time and deadline.
        var carried = new SessionChanges();
        var counters = new HashSet<string>(snapshot.Counters, StringComparer.Ordinal);
        if (!pending.Cleared)
        {
            foreach (var (key, value) in snapshot.Values)
            {
                Carry(carried, key, value, counters.Contains(key));
            }
        }

        foreach (var (key, value) in pending.Entries)
        {
            if (value is null)
            {
                carried.Remove(key);
            }
            else
            {
                Carry(carried, key, value, pending.IsCounter(key));
            }
        }

        var newWrite = new SessionWrite
        {
            Created = meta.Created,
            AbsoluteDeadline = write?.AbsoluteDeadline ?? meta.AbsoluteDeadline,
            IdleTimeout = write?.IdleTimeout ?? meta.IdleTimeout,
            UserId = write?.UserId ?? meta.UserId,
            ClientIp = write?.ClientIp ?? meta.ClientIp,
            UserAgent = write?.UserAgent ?? meta.UserAgent,
        };
        // A sign-in as someone else starts without the previous user's login and authentication time.
        newWrite.AuthenticatedAt = SessionWrite.AuthenticatedAfter(write, meta);
        newWrite.LoginHandle = SessionWrite.LoginAfter(write, meta);
        newWrite.Companion = write?.Companion ?? false;
        var newId = SessionIds.NewId();
        var newHandle = SessionIds.Handle(newId);
        var (created, _, _, exceeded) = await CreateCoreAsync(newId, carried, newWrite, cancellationToken).ConfigureAwait(false);
        if (created != CommitStatus.Committed)
        {
            return new CommitResult(created, oldId) { ExceededLimit = exceeded };
        }

        // The new id is indexed before the old one is sealed, so a "log out everywhere" that takes the
        // index from here on sees it; one that took it earlier is caught by the confirmation below.
        if (newWrite.UserId is { } boundUser)
        {
            try
            {
                // The session it replaces is not counted: a rotation is not a new device.
                await IndexAsync(boundUser, newId, null, newWrite.AbsoluteDeadline!.Value, cancellationToken, newWrite.IsCompanion, exempt: oldId).ConfigureAwait(false);
            }
            catch (SessionLimitException)
            {
                // Nothing was sealed: the old session is as it was, and the new one never served.
                await DeleteCoreAsync(newHandle, boundUser, cancellationToken).ConfigureAwait(false);
                throw;
            }
        }

        // 2. Seal the old key: from here on it refuses loads and points commits to the new one.
        var sealedReply = (RedisResult[])(await _redis.EvalAsync(
            LuaScripts.Seal,
            KeyForHandle(oldHandle),
            [newHandle, (long)_options.RotationGracePeriod.TotalMilliseconds],
            "rotate",
            cancellationToken).ConfigureAwait(false))!;
        if ((ScriptStatus)(int)sealedReply[0] != ScriptStatus.Ok)
        {
            // The old session ended, or another request rotated it first: never hand out a session
            // this request did not own. Drop the new key; say where the winner went, if anywhere.
            await DeleteCoreAsync(newHandle, newWrite.UserId, cancellationToken).ConfigureAwait(false);
            var winner = (ScriptStatus)(int)sealedReply[0] == ScriptStatus.Rotated ? (string?)sealedReply[1] : null;
            return winner is not null && SessionIds.IsValid(winner)
                ? new CommitResult(CommitStatus.Rotated, oldId, winner)
                : new CommitResult(CommitStatus.Gone, oldId);
        }

        // 3. Copy what other requests wrote to the old key between this request's load and the seal.
        if (!pending.Cleared)
        {
            var patch = Patch(oldHandle, snapshot, pending, (RedisResult[])sealedReply[2]!);
            if (!patch.IsEmpty)
            {
                await CommitAsync(newId, patch, null, followRotation: false, cancellationToken).ConfigureAwait(false);
            }
        }

        // 4. Confirm against "log out everywhere": the new id must still be indexed, and no revocation
        // of the user may have started after this request loaded the session it rotates.
        if (newWrite.UserId is { } user && !await ConfirmIndexedAsync(user, SessionLayout.IndexMember(newHandle, newWrite.IsCompanion), oldHandle, snapshot.ServerTime, cancellationToken).ConfigureAwait(false))
        {
            await DeleteCoreAsync(newHandle, user, cancellationToken).ConfigureAwait(false);
            LogRotationRevoked(_logger, SessionIds.LogTag(oldId));
            return new CommitResult(CommitStatus.Revoked, oldId);
        }

        if (meta.UserId is { } oldUser && oldUser != newWrite.UserId)
        {
            await RunAsync(db => db.SortedSetRemoveAsync(UserKeyFor(oldUser), MemberForms(oldHandle)), "user index prune", "ZREM", cancellationToken).ConfigureAwait(false);
        }

        _metrics.Rotated.Add(1);
        LogRotated(_logger, SessionIds.LogTag(oldId), SessionIds.LogTag(newId));
        Raise(new TesseraEvent(TesseraEventKind.Rotated, SessionIds.LogTag(oldId), newWrite.UserId, SessionIds.LogTag(newId)));
        return new CommitResult(CommitStatus.Committed, newId);
    }

    private async Task<bool> ConfirmIndexedAsync(string userId, string newMember, string oldHandle, DateTimeOffset loadedAt, CancellationToken cancellationToken)
    {
        var confirmed = (int)(await _redis.EvalAsync(LuaScripts.IndexConfirm, UserKeyFor(userId), [newMember, oldHandle], "user index", cancellationToken, idempotent: true).ConfigureAwait(false)) == 1;
        if (!confirmed)
        {
            return false;
        }

        return !await RevokedSinceAsync(userId, loadedAt, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether a "log out everywhere" of the user began at or after a time (Redis's clock).</summary>
    private async Task<bool> RevokedSinceAsync(string userId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var mark = await RunAsync(db => db.StringGetAsync(RevokedKeyFor(userId)), "user index", "GET", cancellationToken).ConfigureAwait(false);
        return mark.TryParse(out long revokedAt) && since != default && revokedAt >= since.ToUnixTimeMilliseconds();
    }

    private static void Carry(SessionChanges changes, string key, byte[] value, bool counter)
    {
        if (counter && System.Buffers.Text.Utf8Parser.TryParse(value, out long n, out var used) && used == value.Length)
        {
            changes.SetCounter(key, n);
        }
        else
        {
            changes.Set(key, value);
        }
    }

    private SessionChanges Patch(string oldHandle, SessionRecord snapshot, SessionChanges pending, RedisResult[] sealedPairs)
    {
        var patch = new SessionChanges();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var n = 0; n + 1 < sealedPairs.Length; n += 2)
        {
            var field = (string)sealedPairs[n]!;
            if (SessionLayout.ToKey(field) is not { } key)
            {
                continue;
            }

            seen.Add(key);
            if (pending.TryGet(key, out _))
            {
                continue;
            }

            var stored = (byte[])sealedPairs[n + 1]!;
            byte[] value;
            try
            {
                value = _codec.Decode(oldHandle, field, stored);
            }
            catch (CorruptSessionException)
            {
                continue;
            }

            if (!snapshot.Values.TryGetValue(key, out var before) || !before.AsSpan().SequenceEqual(value))
            {
                Carry(patch, key, value, ValueCodec.IsCounter(stored));
            }
        }

        foreach (var key in snapshot.Values.Keys)
        {
            if (!seen.Contains(key) && !pending.TryGet(key, out _))
            {
                patch.Remove(key);
            }
        }

        return patch;
    }
}
