using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tessera.Redis;

namespace Tessera.Internal;

/// <summary>
/// The rotation protocol behind <see cref="RedisSessionStore.RotateAsync"/>: create the new session from
/// the snapshot and the request's changes, index it, seal the old key (a tombstone pointing to the new
/// one for the grace period), patch in what other requests wrote meanwhile, and confirm against "log out
/// everywhere". Every call goes through the store's one call path.
/// </summary>
internal sealed class SessionRotation
{
    private readonly RedisSessionStore _store;
    private readonly RedisGateway _redis;
    private readonly TesseraOptions _options;
    private readonly TesseraMetrics _metrics;
    private readonly ILogger _logger;

    public SessionRotation(RedisSessionStore store)
    {
        _store = store;
        _redis = store.Redis;
        _options = store.Options;
        _metrics = store.Metrics;
        _logger = store.Logger;
    }

    /// <summary>Rotates <paramref name="snapshot"/>'s id (see <see cref="RedisSessionStore.RotateAsync"/> for the results).</summary>
    /// <param name="snapshot">The session as this request loaded it.</param>
    /// <param name="pending">This request's changes not yet written.</param>
    /// <param name="write">Metadata to set on the new session, or null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The outcome, with the new id when committed.</returns>
    public async Task<CommitResult> RunAsync(SessionRecord snapshot, SessionChanges pending, SessionWrite? write, CancellationToken cancellationToken)
    {
        using var activity = TesseraTelemetry.StartOperation("rotation");
        var old = _store.Key(snapshot.Id);
        var meta = snapshot.Metadata;

        // 1. The new session: the snapshot with this request's changes applied, the old creation time and deadline.
        var carried = RotationChanges.Carried(snapshot, pending);
        // A sign-in as someone else starts without the previous user's login and authentication time.
        var newWrite = SessionWrite.ForRotation(write, meta);
        var fresh = _store.Key(SessionIds.NewId());
        var (created, _, _, exceeded) = await _store.CreateCoreAsync(fresh, carried, newWrite, cancellationToken).ConfigureAwait(false);
        if (created != CommitStatus.Committed)
        {
            return new CommitResult(created, old.Id) { ExceededLimit = exceeded };
        }

        // The new id is indexed before the old one is sealed, so a "log out everywhere" that takes the
        // index from here on sees it; one that took it earlier is caught by the confirmation below.
        // The session it replaces is not counted: a rotation is not a new device. Past the limit nothing
        // was sealed: the old session is as it was, and the new one is deleted, never served.
        if (newWrite.UserId is { } boundUser)
        {
            await _store.Users.IndexNewAsync(boundUser, fresh.Handle, newWrite.AbsoluteDeadline!.Value, newWrite.IsCompanion, old.Handle, cancellationToken).ConfigureAwait(false);
        }

        // 2. Seal the old key: from here on it refuses loads and points commits to the new one.
        var sealedReply = (RedisResult[])(await _redis.EvalAsync(
            LuaScripts.Seal,
            old.Key,
            [fresh.Handle, (long)_options.RotationGracePeriod.TotalMilliseconds],
            "rotate",
            cancellationToken).ConfigureAwait(false))!;
        if ((ScriptStatus)(int)sealedReply[0] != ScriptStatus.Ok)
        {
            // The old session ended, or another request rotated it first: never hand out a session
            // this request did not own. Drop the new key; say where the winner went, if anywhere.
            await _store.Users.DeleteAsync(fresh.Handle, newWrite.UserId, cancellationToken).ConfigureAwait(false);
            var winner = (ScriptStatus)(int)sealedReply[0] == ScriptStatus.Rotated ? (string?)sealedReply[1] : null;
            return winner is not null && SessionIds.IsValid(winner)
                ? new CommitResult(CommitStatus.Rotated, old.Id, winner)
                : new CommitResult(CommitStatus.Gone, old.Id);
        }

        // 3. Copy what other requests wrote to the old key between this request's load and the seal.
        if (!pending.Cleared)
        {
            var patch = RotationChanges.Patch(old.Handle, snapshot, pending, (RedisResult[])sealedReply[2]!, _store.Codec);
            if (!patch.IsEmpty)
            {
                await _store.CommitAsync(fresh, patch, null, followRotation: false, cancellationToken).ConfigureAwait(false);
            }
        }

        // 4. Confirm against "log out everywhere": the new id must still be indexed, and no revocation
        // of the user may have started after this request loaded the session it rotates.
        if (newWrite.UserId is { } user && !await _store.Users.ConfirmIndexedAsync(user, SessionLayout.IndexMember(fresh.Handle, newWrite.IsCompanion), old.Handle, snapshot.ServerTime, cancellationToken).ConfigureAwait(false))
        {
            await _store.Users.DeleteAsync(fresh.Handle, user, cancellationToken).ConfigureAwait(false);
            StoreLog.RotationRevoked(_logger, old.Tag);
            return new CommitResult(CommitStatus.Revoked, old.Id);
        }

        if (meta.UserId is { } oldUser && oldUser != newWrite.UserId)
        {
            await _store.Users.UnindexHandleAsync(oldUser, old.Handle, cancellationToken).ConfigureAwait(false);
        }

        _metrics.Rotated.Add(1);
        StoreLog.Rotated(_logger, old.Tag, fresh.Tag);
        _store.Raise(new TesseraEvent(TesseraEventKind.Rotated, old.Tag, newWrite.UserId, fresh.Tag));
        _store.Revocations.Publish(RevocationScope.Rotated, [old.Handle], fresh.Handle);
        return new CommitResult(CommitStatus.Committed, fresh.Id);
    }
}
