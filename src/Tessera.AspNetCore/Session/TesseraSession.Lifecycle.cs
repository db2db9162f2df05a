namespace Tessera.AspNetCore;

/// <summary>Logout, rotation and sign-in, and the user's sessions.</summary>
internal sealed partial class TesseraSession
{
    /// <inheritdoc/>
    public async Task DestroyAsync(CancellationToken cancellationToken = default)
    {
        // With binding on, a client from elsewhere is a new visitor here too: it cannot log the owner out.
        await CheckBindingAsync(cancellationToken).ConfigureAwait(false);
        if (_state.TargetFor(SessionOperation.Destroy) is { } target)
        {
            // Through a tombstone too: logging out with a rotated-away cookie ends the session it points to.
            var user = _state.Phase == SessionPhase.Live ? _view.Metadata?.UserId : null;
            await _budget.RunAsync(ct => _store.DestroyAsync(KeyOf(target.Id), user, ct), cancellationToken).ConfigureAwait(false);
        }

        _state.OnDestroyed();
        _view.DropPending();
        _view.Empty();
        EnsureCallback();
    }

    /// <inheritdoc/>
    public Task<string> RotateAsync(CancellationToken cancellationToken = default) => RotateCoreAsync(null, cancellationToken);

    /// <inheritdoc/>
    public Task SignInAsync(string userId, CancellationToken cancellationToken = default) => SignInAsync(userId, companion: false, null, cancellationToken);

    /// <inheritdoc/>
    public Task SignInWithAsync(string userId, string? signInMethod, CancellationToken cancellationToken = default) => SignInAsync(userId, companion: false, signInMethod, cancellationToken);

    /// <summary>
    /// Signs in; a companion is the session of a login (a ticket) stored in this request, listed and
    /// revoked with it and not counted as a device of its own. Then, with new-device detection on, tells
    /// the observers when the browser has not signed in as the user before.
    /// </summary>
    internal async Task SignInAsync(string userId, bool companion, string? signInMethod, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(userId);
        try
        {
            await RotateCoreAsync(userId, cancellationToken, companion, signInMethod).ConfigureAwait(false);
        }
        catch (SessionLimitException)
        {
            // Refused past the per-user limit: nothing of the sign-in is kept, the session stays as it was.
            _view.Write = null;
            throw;
        }

        await CheckNewDeviceAsync(userId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Links this session to the login (ticket) stored for the same browser in this request: the two
    /// are one device from now on. Only a session signed in as the login's user is linked.
    /// </summary>
    internal async Task LinkLoginAsync(string userId, string loginHandle, CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (_state.Phase != SessionPhase.Live || UserId != userId || _view.Metadata?.LoginHandle == loginHandle)
        {
            return;
        }

        var write = _view.Write ??= new SessionWrite();
        write.LoginHandle = loginHandle;
        var id = _state.Id!;
        var deadline = _view.Metadata!.AbsoluteDeadline;
        await CommitAsync(cancellationToken).ConfigureAwait(false);
        if (_state.Phase == SessionPhase.Live && _state.Id == id)
        {
            _view.Metadata = _view.Metadata! with { LoginHandle = loginHandle };
            await _budget.RunAsync(
                async ct =>
                {
                    await _store.Users.IndexAsCompanionAsync(userId, id, deadline, ct).ConfigureAwait(false);
                    return true;
                },
                cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<SessionInfo>> GetUserSessionsAsync(CancellationToken cancellationToken = default)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return UserId is { } user
            ? (await _budget.RunAsync(ct => _store.Users.GetUserSessionsPageAsync(user, 0, int.MaxValue, _state.Phase == SessionPhase.Live ? _state.Id : null, ct), cancellationToken).ConfigureAwait(false)).Devices
            : [];
    }

    /// <inheritdoc/>
    public async Task<int> RevokeOtherSessionsAsync(CancellationToken cancellationToken = default)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        return UserId is { } user && _state.Phase == SessionPhase.Live
            ? await _budget.RunAsync(ct => _store.Users.RevokeUserSessionsAsync(user, _state.Id, ct), cancellationToken).ConfigureAwait(false)
            : 0;
    }

    /// <inheritdoc/>
    public async Task<bool> RevokeDeviceAsync(string handle, CancellationToken cancellationToken = default)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrEmpty(handle) || !SessionIds.IsValid(handle) || UserId is null || _state.Phase != SessionPhase.Live)
        {
            return false;
        }

        var user = UserId;
        return await _budget.RunAsync(ct => _store.Users.RevokeUserDeviceAsync(user, handle, ct), cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> RotateCoreAsync(string? userId, CancellationToken cancellationToken, bool companion = false, string? signInMethod = null)
    {
        await LoadAsync(cancellationToken).ConfigureAwait(false);
        if (_context.Response.HasStarted)
        {
            throw new InvalidOperationException("The session cannot be rotated after the response has started: the new cookie could not be sent.");
        }

        PrepareWrite();
        if (userId is not null && _state.Phase == SessionPhase.Live && _view.Metadata?.UserId is { } bound && bound != userId)
        {
            // Signing in as someone else than the user this session belongs to starts from an empty
            // session: nothing of the previous user's (a cart, a role) is carried into the new login.
            _view.Pending.Clear();
        }

        if (userId is not null)
        {
            // Sign-in records the client signing in, not whoever created the session (a fixation).
            var write = _view.Write ??= new SessionWrite();
            write.UserId = userId;
            write.ClientIp = CurrentClientIp();
            write.UserAgent = ClientBinding.Normalize(_context.Request.Headers.UserAgent);
            // A sign-in is an authentication: step-up checks measure from it (Redis's clock).
            write.AuthenticatedAt = DateTimeOffset.MinValue;
            write.Companion = companion;
            // How this sign-in happened; one that names none keeps what an earlier sign-in of the same user recorded.
            write.SignInMethod = DeviceText.Method(signInMethod);
        }

        switch (_state.Phase)
        {
            case SessionPhase.New:
                // Nothing stored: a fresh id is all rotation means; a sign-in creates the bound session now.
                _state.RenewProvisionalId();
                if (userId is not null)
                {
                    await CommitAsync(cancellationToken).ConfigureAwait(false);
                }

                return _state.ProvisionalId();
            case SessionPhase.Live when _state.CreatedHere:
                // This request created (or already rotated to) the id: no other client can know it, so
                // binding it in place is as safe as a rotation, and keeps one session with its values.
                return await BindInPlaceAsync(userId, cancellationToken).ConfigureAwait(false);
            default:
                return await RotateLoadedAsync(userId, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<string> BindInPlaceAsync(string? userId, CancellationToken cancellationToken)
    {
        var id = _state.Id!;
        var previousUser = _view.Metadata?.UserId;
        var companion = _view.Write?.IsCompanion == true || _view.Metadata?.LoginHandle is not null;
        await CommitAsync(cancellationToken).ConfigureAwait(false);
        if (userId is null || _state.Phase != SessionPhase.Live)
        {
            return _state.ProvisionalId();
        }

        var load = await _budget.RunAsync(ct => _store.LoadAsync(id, ct), cancellationToken).ConfigureAwait(false);
        if (load.Record is not { } record)
        {
            _state.OnDied();
            _view.Empty();
            return _state.ProvisionalId();
        }

        _view.Metadata = record.Metadata;
        try
        {
            await _budget.RunAsync(
                async ct =>
                {
                    await _store.Users.IndexAsync(userId, id, null, record.Metadata.AbsoluteDeadline, ct, companion).ConfigureAwait(false);
                    return true;
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (SessionLimitException)
        {
            // Past the per-user limit: the session this request created never serves as the user's.
            await _budget.RunAsync(ct => _store.DestroyAsync(id, userId, ct), cancellationToken).ConfigureAwait(false);
            _state.OnDied();
            _view.Empty();
            throw;
        }
        if (previousUser != userId)
        {
            _store.Raise(new TesseraEvent(TesseraEventKind.UserBound, SessionIds.LogTag(id), userId));
        }

        return id;
    }

    /// <summary>The session ended meanwhile (logged out, revoked, expired): this request's changes are dropped with it, never written anywhere.</summary>
    private void LoseEverything()
    {
        _state.OnDied();
        _view.DropPending();
        _view.Empty();
    }

    private async Task<string> RotateLoadedAsync(string? userId, CancellationToken cancellationToken)
    {
        var oldId = _state.Id!;
        var result = await _budget.RunAsync(
            ct => _store.RotateAsync(_view.ToRecord(oldId), _view.Pending, _view.Write, ct),
            cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case CommitStatus.Committed:
                _state.OnRotated(result.SessionId);
                _view.ApplyCommitted(_store.Time.GetUtcNow());
                EnsureCallback();
                return result.SessionId;
            case CommitStatus.TooLarge:
                throw TooLarge(result.ExceededLimit);
            case CommitStatus.Rotated when userId is not null && result.RotatedTo is { } winner
                && await TryFollowWinnerAsync(winner, userId, cancellationToken).ConfigureAwait(false):
                return _state.Id!;
            case CommitStatus.Revoked:
                // "Log out everywhere" ran meanwhile: nothing of this session or sign-in survives.
                LoseEverything();
                return _state.ProvisionalId();
            default:
                // The session ended or went to another identity meanwhile: start afresh with this
                // request's own changes, never adopting what it did not own.
                _state.OnDied();
                _view.Empty();
                if (userId is not null)
                {
                    await CommitAsync(cancellationToken).ConfigureAwait(false);
                }

                return _state.ProvisionalId();
        }
    }

    /// <summary>
    /// Another request rotated this session first (two sign-ins racing from one browser). This request
    /// read the session before that seal, so it follows the winner with its own writes, provided the
    /// winner belongs to the identity this request was establishing; otherwise it adopts nothing.
    /// The tombstone names the winner's handle, not its identifier: this request keeps its own (sealed)
    /// id, so it sets no cookie (the winner's response carries the new one) and its writes reach the
    /// winner through the tombstone, like any request that loaded before a rotation.
    /// </summary>
    private async Task<bool> TryFollowWinnerAsync(string winnerHandle, string? intendedUser, CancellationToken cancellationToken)
    {
        var handle = winnerHandle;
        for (var hop = 0; hop < 4; hop++)
        {
            var load = await _budget.RunAsync(ct => _store.LoadHandleAsync(handle, refresh: true, ct), cancellationToken).ConfigureAwait(false);
            if (load is { Status: LoadStatus.Rotated, RotatedTo: { } next } && SessionIds.IsValid(next))
            {
                handle = next;
                continue;
            }

            if (load.Record is not { } record || record.Metadata.UserId != intendedUser)
            {
                return false;
            }

            _view.Attach(record with { StaleStored = new Dictionary<string, byte[]>() });
            _view.StaleRecord = null;
            if (_view.IsDirty)
            {
                await CommitAsync(cancellationToken).ConfigureAwait(false);
            }

            EnsureCallback();
            return true;
        }

        return false;
    }
}
