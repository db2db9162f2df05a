using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore;

/// <summary>
/// The renewal timeout (<see cref="TesseraOptions.RenewalInterval"/>): a request that read a session whose
/// identifier is due gives it a new one as the response starts, through the store's one rotation
/// (<see cref="RedisSessionStore.RotateAsync"/>) and so with its in-flight rules. Decided when the session is
/// loaded (<see cref="RequestSessionState.RenewalDue"/>), done here, before the commit, so the new id goes out
/// in this response's cookie or header like any rotation's.
/// </summary>
internal sealed partial class TesseraSession
{
    /// <summary>
    /// Renews the session's identifier when due, carrying this request's pending changes over. Never
    /// forks a session: of requests racing to renew one session, the store's seal lets one win; the others
    /// delete the session they made and come back here with <see cref="CommitStatus.Rotated"/>, and then,
    /// like any request that read the session before a rotation, commit through the tombstone and set no
    /// cookie (the winner's response carries the new id).
    /// </summary>
    private async Task RenewIfDueAsync()
    {
        if (!_state.RenewalDue || _degraded)
        {
            return;
        }

        _state.OnRenewalTried();
        var oldId = _state.Id!;
        CommitResult result;
        try
        {
            result = await _budget.RunAsync(
                ct => _store.RotateAsync(_view.ToRecord(oldId), _view.Pending, _view.Write, ct),
                CancellationToken.None).ConfigureAwait(false);
        }
        catch (TesseraUnavailableException ex) when (!_view.IsDirty)
        {
            // Nothing else to write: the response goes on with the id it has; a later request renews it.
            LogRenewalFailed(_logger, SessionIds.LogTag(oldId), ex);
            return;
        }
        catch (SessionLimitException)
        {
            // The user's index refused the new id (DenyNew, at the limit): the new session was deleted,
            // the old one is as it was, and the commit writes the pending changes into it.
            LogRenewalSkipped(_logger, SessionIds.LogTag(oldId), "the user is at MaxSessionsPerUser");
            return;
        }

        switch (result.Status)
        {
            case CommitStatus.Committed:
                _state.OnRotated(result.SessionId);
                _view.Metadata = _view.Metadata! with { IdIssuedAt = _store.Time.GetUtcNow() };
                _view.ApplyCommitted(_store.Time.GetUtcNow());
                LogRenewed(_logger, SessionIds.LogTag(oldId), SessionIds.LogTag(result.SessionId));
                return;
            case CommitStatus.Revoked:
                // "Log out everywhere" ran meanwhile: nothing of this session survives.
                LoseEverything();
                return;
            default:
                // Rotated first by another request (a racing renewal, a sign-in), ended, or too large to
                // copy: not renewed here. The commit that follows applies the in-flight rules.
                LogRenewalSkipped(_logger, SessionIds.LogTag(oldId), result.Status.ToString());
                return;
        }
    }

    [LoggerMessage(36, LogLevel.Debug, "Session {SessionTag} was renewed (RenewalInterval) to {NewSessionTag}.")]
    private static partial void LogRenewed(ILogger logger, string sessionTag, string newSessionTag);

    [LoggerMessage(37, LogLevel.Debug, "Session {SessionTag} was due for renewal and was not renewed by this request ({Reason}).")]
    private static partial void LogRenewalSkipped(ILogger logger, string sessionTag, string reason);

    [LoggerMessage(38, LogLevel.Warning, "Session {SessionTag} was due for renewal; the store did not answer, so it keeps its identifier until a later request renews it.")]
    private static partial void LogRenewalFailed(ILogger logger, string sessionTag, Exception exception);
}
