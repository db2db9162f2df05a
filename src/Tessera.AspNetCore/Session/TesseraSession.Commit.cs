namespace Tessera.AspNetCore;

/// <summary>The commit at the end of the request: once per request, the changes to the session it may write, or a new session.</summary>
internal sealed partial class TesseraSession
{
    /// <inheritdoc/>
    public async Task CommitAsync(CancellationToken cancellationToken = default)
    {
        if (!_view.IsDirty)
        {
            return;
        }

        try
        {
            await CommitOnceAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || ex is TesseraUnavailableException)
        {
            // One attempt per request: a commit that failed is never sent again by this request (the
            // error page's response start, or the end of the pipeline, would send it a second time).
            // The changes are dropped and the failure answered once.
            if (ex is TesseraUnavailableException unavailable && _options.OutagePolicy == OutagePolicy.DegradeFully)
            {
                DropIfDegradingFully(unavailable);
            }
            else
            {
                _view.DropPending();
                LogCommitAbandoned(_logger, ex.GetType().Name);
            }

            throw;
        }
    }

    private async Task CommitOnceAsync(CancellationToken cancellationToken)
    {
        await CheckBindingAsync(cancellationToken).ConfigureAwait(false);
        if (_state.TargetFor(SessionOperation.Commit) is not { } target)
        {
            await CreateAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        var result = await _budget.RunAsync(
            ct => _store.CommitAsync(KeyOf(target.Id), _view.Pending, _view.Write, target.FollowRotation, ct),
            cancellationToken).ConfigureAwait(false);
        switch (result.Status)
        {
            case CommitStatus.Committed when result.SessionId == target.Id:
                var newDeadline = _view.Write?.AbsoluteDeadline;
                _state.OnWritten(target.Id);
                _slidAt = _store.Time.GetUtcNow();
                _view.ApplyCommitted(_slidAt.Value);
                if (newDeadline is { } deadline && _view.Metadata?.UserId is { } bound)
                {
                    // "Remember me" after sign-in: the index entry's score follows the new deadline.
                    await _budget.RunAsync(
                        async ct =>
                        {
                            await _store.Users.IndexAsync(bound, target.Id, null, deadline, ct).ConfigureAwait(false);
                            return true;
                        },
                        cancellationToken).ConfigureAwait(false);
                }

                return;
            case CommitStatus.Committed:
                // The session was rotated while this request ran: its delta landed in the new session
                // (the in-flight promise). The request never learns that id.
                _view.ApplyCommitted(_store.Time.GetUtcNow());
                _state.OnForwarded();
                if (_state.Phase == SessionPhase.New)
                {
                    _view.Empty();
                }

                return;
            case CommitStatus.TooLarge:
                throw TooLarge(result.ExceededLimit);
            default:
                if (_state.Phase == SessionPhase.Live)
                {
                    // The session this request had was logged out, revoked or expired meanwhile: its
                    // changes are dropped, never resurrected; anything written later gets a new id.
                    LogCommitToGoneSession(_logger, SessionIds.LogTag(target.Id));
                    LoseEverything();
                    return;
                }

                // A write-only request whose cookie names no live session: a new session, new id.
                _state.OnNotHeld();
                _view.Empty();
                await CreateAsync(cancellationToken).ConfigureAwait(false);
                return;
        }
    }

    private async Task CreateAsync(CancellationToken cancellationToken)
    {
        var write = _view.Write ?? new SessionWrite();
        write.ClientIp ??= CurrentClientIp();
        write.UserAgent ??= ClientBinding.Normalize(_context.Request.Headers.UserAgent);
        for (var attempt = 0; ; attempt++)
        {
            var id = _state.ProvisionalId();
            var result = await _budget.RunAsync(ct => _store.CreateAsync(id, _view.Pending, write, ct), cancellationToken).ConfigureAwait(false);
            if (result.Status == CommitStatus.Conflict && attempt < 2)
            {
                _state.RenewProvisionalId();
                continue;
            }

            if (result.Status == CommitStatus.TooLarge)
            {
                throw TooLarge(result.ExceededLimit);
            }

            if (result.Status == CommitStatus.Revoked)
            {
                // A sign-in racing "log out everywhere" of its user: nothing of it survives.
                LoseEverything();
                return;
            }

            if (result.Status != CommitStatus.Committed)
            {
                throw new InvalidOperationException($"A new session could not be created ({result.Status}).");
            }

            var now = _store.Time.GetUtcNow();
            _state.OnCreated(id);
            _view.Metadata = new SessionMetadata
            {
                Created = now,
                IdIssuedAt = now,
                LastAccess = now,
                IdleTimeout = write.IdleTimeout ?? _options.IdleTimeout,
                AbsoluteDeadline = write.AbsoluteDeadline ?? now + _options.AbsoluteTimeout,
                UserId = write.UserId,
                ClientIp = write.ClientIp,
                UserAgent = write.UserAgent,
            };
            _view.Write = null;
            _view.ApplyCommitted(_store.Time.GetUtcNow());
            EnsureCallback();
            return;
        }
    }
}
