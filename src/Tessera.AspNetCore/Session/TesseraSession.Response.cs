using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Tessera.AspNetCore;

/// <summary>The response side: the commit as the response starts, and the cookie writer.</summary>
internal sealed partial class TesseraSession
{
    private static readonly Func<object, Task> OnStartingCallback = static state => ((TesseraSession)state).OnStartingAsync();

    private bool _callbackRegistered;
    private byte[]? _problemAtStart;

    /// <summary>
    /// Commits what is left at the end of the request: on the request's own bound, not on the
    /// client's connection (a client that went away must not leave a half-made session behind).
    /// </summary>
    internal async Task CommitAtEndAsync()
    {
        if (_budget.Failure is not null)
        {
            DropIfDegradingFully(_budget.Failure);
            return;
        }

        try
        {
            await CommitAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (TesseraUnavailableException ex) when (_options.OutagePolicy == OutagePolicy.DegradeFully)
        {
            DropIfDegradingFully(ex);
        }
    }

    /// <summary>With <see cref="OutagePolicy.DegradeFully"/>: the end-of-request changes are dropped, logged at Error and counted.</summary>
    private void DropIfDegradingFully(TesseraUnavailableException ex)
    {
        if (_options.OutagePolicy != OutagePolicy.DegradeFully || !_view.IsDirty)
        {
            return;
        }

        _store.Metrics.Errors.Add(1);
        LogCommitDropped(_logger, ex);
        _view.DropPending();
    }

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
        if (_context.Features.Get<IHttpResponseBodyFeature>() is { } body and not GuardedResponseBody)
        {
            _context.Features.Set<IHttpResponseBodyFeature>(new GuardedResponseBody(body, () => _problemAtStart));
        }
    }

    /// <summary>
    /// Runs as the response starts: writes pending changes first, so the client never sees a response
    /// before its session holds what that response reflects, then sets or deletes the cookie. A
    /// request whose Redis work already failed does not wait a second time.
    /// </summary>
    private async Task OnStartingAsync()
    {
        if ((_view.IsDirty || _state.RenewalDue) && _budget.Failure is null)
        {
            try
            {
                // A due renewal carries the pending changes into the new session; what it leaves (it lost
                // to another rotation, or was not possible) the commit writes by the in-flight rules.
                await RenewIfDueAsync().ConfigureAwait(false);
                await CommitAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (TesseraUnavailableException ex) when (_options.OutagePolicy == OutagePolicy.DegradeFully)
            {
                DropIfDegradingFully(ex);
                return;
            }
            catch (Exception ex) when (ex is TesseraUnavailableException or SessionTooLargeException)
            {
                LogCommitFailedAtStart(_logger, ex);
                ReplaceResponse(ex);
                return;
            }
        }

        if (_budget.Failure is not null)
        {
            return;
        }

        await RewriteStaleAsync().ConfigureAwait(false);
        // Cookie, header or both, the way the request's id came (SessionIdChannel).
        if (!_channel.Write(_context, _state.Cookie(), _state.Id, _idSource))
        {
            return;
        }

        // Never let a shared cache keep a response that carries a session id.
        var headers = _context.Response.Headers;
        headers.CacheControl = "no-cache,no-store";
        headers.Pragma = "no-cache";
    }

    /// <summary>Re-encrypts values read under a retired key, conditionally; a failure never fails the response.</summary>
    private async Task RewriteStaleAsync()
    {
        if (_view.StaleRecord is not { } record)
        {
            return;
        }

        _view.StaleRecord = null;
        if (_state.Phase != SessionPhase.Live || _state.Id != record.Id)
        {
            return;
        }

        try
        {
            await _budget.RunAsync(ct => _store.RewriteStaleAsync(record, ct), CancellationToken.None).ConfigureAwait(false);
        }
        catch (TesseraUnavailableException ex)
        {
            LogRewriteFailed(_logger, ex);
        }
    }

    /// <summary>The commit failed as the response started: the response becomes problem details only (the one map, <see cref="SessionProblem"/>).</summary>
    private void ReplaceResponse(Exception ex)
    {
        var answer = SessionProblem.For(ex, _options)!;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails
        {
            Status = answer.Status,
            Title = answer.Title,
            Detail = answer.Detail,
            Type = SessionProblem.TypeOf(answer.Status),
        };
        var response = _context.Response;
        response.StatusCode = answer.Status;
        response.Headers.Remove("Content-Length");
        response.Headers.Remove("Content-Encoding");
        response.Headers.ContentType = "application/problem+json";
        response.Headers.CacheControl = "no-store";
        if (answer.RetryAfterSeconds is { } retry)
        {
            response.Headers.RetryAfter = retry.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        _problemAtStart = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(problem, ProblemJsonContext.Default.ProblemDetails);
    }

    [LoggerMessage(20, LogLevel.Information, "A request committed to session {SessionTag} after it ended (logout, revoke or expiry); the changes were dropped, not resurrected.")]
    private static partial void LogCommitToGoneSession(ILogger logger, string sessionTag);

    [LoggerMessage(21, LogLevel.Information, "Session {SessionTag} was rotated; its old identifier was refused.")]
    private static partial void LogRotatedIdRefused(ILogger logger, string sessionTag);

    [LoggerMessage(23, LogLevel.Warning, "Session {SessionTag} did not match its client binding ({Mismatch}); not honoured.")]
    private static partial void LogBindingMismatch(ILogger logger, string sessionTag, string mismatch);

    [LoggerMessage(24, LogLevel.Warning, "Values read under a retired encryption key could not be re-encrypted now; they will be on a later read.")]
    private static partial void LogRewriteFailed(ILogger logger, Exception exception);

    [LoggerMessage(25, LogLevel.Error, "The session store is unavailable: this request's session changes were dropped (OutagePolicy.DegradeFully).")]
    private static partial void LogCommitDropped(ILogger logger, Exception exception);

    [LoggerMessage(26, LogLevel.Error, "The session store is unavailable: a write of a {KeyLength}-character key was dropped (OutagePolicy.DegradeFully).")]
    private static partial void LogWriteDropped(ILogger logger, int keyLength);

    [LoggerMessage(27, LogLevel.Warning, "The session store is unavailable: this request goes on with an empty, unavailable session (OutagePolicy.{Policy}).")]
    private static partial void LogDegraded(ILogger logger, string policy);

    [LoggerMessage(28, LogLevel.Information, "Accessing expired session {SessionTag}: the cookie names no live session; a new one starts if this request stores anything.")]
    private static partial void LogAccessingExpired(ILogger logger, string sessionTag);

    [LoggerMessage(29, LogLevel.Warning, "A session commit failed ({Failure}): this request's changes were dropped and are not sent again.")]
    private static partial void LogCommitAbandoned(ILogger logger, string failure);

    [LoggerMessage(22, LogLevel.Error, "The session could not be committed as the response started.")]
    private static partial void LogCommitFailedAtStart(ILogger logger, Exception exception);
}
