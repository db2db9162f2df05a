using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore;

/// <summary>The response side: the commit as the response starts, and the cookie writer.</summary>
internal sealed partial class TesseraSession
{
    private static readonly Func<object, Task> OnStartingCallback = static state => ((TesseraSession)state).OnStartingAsync();

    private bool _callbackRegistered;

    /// <summary>
    /// Commits what is left at the end of the request: on the request's own bound, not on the
    /// client's connection (a client that went away must not leave a half-made session behind).
    /// </summary>
    internal Task CommitAtEndAsync() => _budget.Failure is null ? CommitAsync(CancellationToken.None) : Task.CompletedTask;

    private void PrepareWrite()
    {
        var establishing = _state.Phase == SessionPhase.New;
        if (establishing && _context.Response.HasStarted && !_callbackRegistered)
        {
            throw new InvalidOperationException("The session cannot be established after the response has started.");
        }

        EnsureCallback();
    }

    private void EnsureCallback()
    {
        if (_callbackRegistered || _context.Response.HasStarted)
        {
            return;
        }

        _callbackRegistered = true;
        _context.Response.OnStarting(OnStartingCallback, this);
    }

    /// <summary>
    /// Runs as the response starts: writes pending changes first, so the client never sees a response
    /// before its session holds what that response reflects, then sets or deletes the cookie. A
    /// request whose Redis work already failed does not wait a second time.
    /// </summary>
    private async Task OnStartingAsync()
    {
        if (_view.IsDirty && _budget.Failure is null)
        {
            try
            {
                await CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TesseraUnavailableException or SessionTooLargeException)
            {
                LogCommitFailedAtStart(_logger, ex);
                _context.Response.StatusCode = ex is SessionTooLargeException
                    ? StatusCodes.Status413PayloadTooLarge
                    : _options.UnavailableStatusCode;
                return;
            }
        }

        if (_budget.Failure is not null)
        {
            return;
        }

        var cookie = _options.Cookie;
        var action = _state.Cookie();
        switch (action)
        {
            case CookieAction.Issue:
                _context.Response.Cookies.Append(cookie.Name!, _state.Id!, cookie.Build(_context));
                break;
            case CookieAction.Delete:
                _context.Response.Cookies.Delete(cookie.Name!, cookie.Build(_context));
                break;
            default:
                return;
        }

        // Never let a shared cache keep a response that carries a session cookie.
        var headers = _context.Response.Headers;
        headers.CacheControl = "no-cache,no-store";
        headers.Pragma = "no-cache";
    }

    [LoggerMessage(20, LogLevel.Information, "A request committed to session {SessionTag} after it ended (logout, revoke or expiry); the changes were dropped, not resurrected.")]
    private static partial void LogCommitToGoneSession(ILogger logger, string sessionTag);

    [LoggerMessage(21, LogLevel.Information, "Session {SessionTag} was rotated; its old identifier was refused.")]
    private static partial void LogRotatedIdRefused(ILogger logger, string sessionTag);

    [LoggerMessage(23, LogLevel.Warning, "Session {SessionTag} did not match its client binding ({Mismatch}); not honoured.")]
    private static partial void LogBindingMismatch(ILogger logger, string sessionTag, string mismatch);

    [LoggerMessage(22, LogLevel.Error, "The session could not be committed as the response started.")]
    private static partial void LogCommitFailedAtStart(ILogger logger, Exception exception);
}
