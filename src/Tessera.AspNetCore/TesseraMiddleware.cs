using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore.Migration;

namespace Tessera.AspNetCore;

/// <summary>
/// Puts Tessera's session on <see cref="HttpContext.Session"/>, commits what changed, and turns an
/// unreachable Redis into a 503 with problem details instead of a 500 or a hang.
/// </summary>
internal sealed partial class TesseraMiddleware
{
    private readonly RequestDelegate _next;
    private readonly RedisSessionStore _store;
    private readonly TesseraSessionOptions _options;
    private readonly ILogger _logger;
    private readonly SessionIdChannel _channel;
    private readonly RecentTouches? _touches;
    private readonly StockSessionMigrator? _migrator;
    private static readonly object Learned = new();
    private readonly ConditionalWeakTable<Endpoint, object> _synchronousReaders = new();
    private bool _readsWithoutEndpoint;

    public TesseraMiddleware(RequestDelegate next, RedisSessionStore store, IOptions<TesseraSessionOptions> options, ILogger<TesseraMiddleware> logger, IServiceProvider services)
    {
        _next = next;
        _store = store;
        _options = options.Value;
        _logger = logger;
        _channel = new SessionIdChannel(_options);
        if (_options.SlideUntouchedSessions && !_options.ClientBinding.IsEnabled)
        {
            // The one refresh rule: a cookie-carrying request that never uses its session slides it at most once per granularity.
            _touches = new RecentTouches(Tessera.Internal.RefreshRule.Granularity(_options.IdleTimeout, _options.RefreshGranularity));
        }
        _migrator = _options.StockSessionMigration.Enabled ? services.GetRequiredService<StockSessionMigrator>() : null;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        // Cookie, header or both: one reader (SessionIdChannel); a value not of Tessera's form is a new visitor and never reaches Redis.
        var cookieId = _channel.Read(context.Request, out var source, out var refusedLength);
        if (refusedLength >= 0)
        {
            if (source == SessionIdSource.Header)
            {
                LogMalformedHeader(_logger, refusedLength);
            }
            else
            {
                LogMalformedCookie(_logger, refusedLength);
            }
        }

        if (cookieId is null && source != SessionIdSource.Header && _migrator is not null)
        {
            // Only for requests that carry the stock AddSession() cookie; every other request pays one dictionary lookup.
            cookieId = await _migrator.TryMigrateAsync(context).ConfigureAwait(false);
            source = cookieId is null ? source : SessionIdSource.Cookie;
        }

        var slides = context.GetEndpoint()?.Metadata.GetMetadata<NoSessionSlidingAttribute>() is null;
        var session = new TesseraSession(_store, _options, context, cookieId, _logger, _channel, source, slides);
        context.Features.Set<ISessionFeature>(session);
        SessionLock? held = null;
        try
        {
            if (cookieId is not null && NeedsLock(context))
            {
                // With client binding, a client from elsewhere must not even take the owner's lock:
                // check the binding first, then read again under the lock.
                var bound = _options.ClientBinding.IsEnabled;
                if (bound)
                {
                    await session.LoadAsync(context.RequestAborted).ConfigureAwait(false);
                }

                var lockId = session.CookieId;
                var lockOptions = _options.Lock;
                held = lockId is null
                    ? null
                    : await SessionLock.AcquireAsync(_store, lockId, lockOptions.LockTimeout, lockOptions.WaitTimeout, context.RequestAborted).ConfigureAwait(false);
                if (bound)
                {
                    session.Unload();
                }

                if (held is null && lockId is not null)
                {
                    LogLockTimedOut(_logger, SessionIds.LogTag(lockId), lockOptions.WaitTimeout);
                    await ProblemResponses.WriteAsync(context, SessionProblem.LockBusy(_options)).ConfigureAwait(false);
                    return;
                }
            }

            var endpoint = context.GetEndpoint();
            if (cookieId is not null && ReadsAhead(endpoint))
            {
                // Awaited here, so the endpoint's synchronous reads find the session in memory (SessionPreload).
                await session.LoadAsync(context.RequestAborted).ConfigureAwait(false);
            }

            await _next(context).ConfigureAwait(false);
            if (session.LoadedSynchronously)
            {
                Learn(endpoint);
            }

            if (session.IsDirty)
            {
                await session.CommitAtEndAsync().ConfigureAwait(false);
            }
            else if (slides && _touches is not null && session.State.Phase == SessionPhase.Unread && session.CookieId is { } untouched && _touches.ShouldTouch(untouched))
            {
                // The request never used its session: slide it in the background, as the stock session would.
                _store.Touch(untouched, session);
            }
        }
        catch (Exception ex) when (!context.Response.HasStarted && SessionProblem.For(ex, _options) is { } problem)
        {
            // The one map from a session failure to its answer (SessionProblem), as the commit at response start uses.
            await ProblemResponses.WriteAsync(context, problem).ConfigureAwait(false);
            if (ex is TesseraUnavailableException)
            {
                LogUnavailableResponse(_logger, ex.Message);
            }
        }
        catch (Exception ex) when (ex is TesseraUnavailableException or SessionTooLargeException)
        {
            // The response has started: nothing can change it now. Log and finish.
            LogFailedAfterStart(_logger, ex);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away while waiting: nothing to answer.
        }
        finally
        {
            context.Features.Set<ISessionFeature>(null);
            if (held is not null)
            {
                await held.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private bool ReadsAhead(Endpoint? endpoint) => _options.Preload switch
    {
        SessionPreload.Always => true,
        SessionPreload.SynchronousEndpoints => endpoint is null ? Volatile.Read(ref _readsWithoutEndpoint) : _synchronousReaders.TryGetValue(endpoint, out _),
        _ => false,
    };

    /// <summary>An endpoint that read its session synchronously is read ahead from now on (weakly held: an endpoint the app drops is forgotten).</summary>
    private void Learn(Endpoint? endpoint)
    {
        if (_options.Preload != SessionPreload.SynchronousEndpoints)
        {
            return;
        }

        var learned = endpoint is null
            ? !Interlocked.Exchange(ref _readsWithoutEndpoint, true)
            : _synchronousReaders.TryAdd(endpoint, Learned);
        if (learned)
        {
            LogLearnedSynchronousEndpoint(_logger, endpoint?.DisplayName ?? "(requests without an endpoint)");
        }
    }

    private bool NeedsLock(HttpContext context) =>
        _options.Lock.LockAllRequests
        || context.GetEndpoint()?.Metadata.GetMetadata<RequireSessionLockAttribute>() is not null;

    [LoggerMessage(33, LogLevel.Warning, "Session {SessionTag}: the lock was not free within {Wait}; the request was refused.")]
    private static partial void LogLockTimedOut(ILogger logger, string sessionTag, TimeSpan wait);

    [LoggerMessage(30, LogLevel.Debug, "A session cookie of {Length} characters is not a Tessera identifier; treated as a new visitor.")]
    private static partial void LogMalformedCookie(ILogger logger, int length);

    [LoggerMessage(34, LogLevel.Debug, "A session header of {Length} characters is not one Tessera identifier; treated as a new visitor.")]
    private static partial void LogMalformedHeader(ILogger logger, int length);

    [LoggerMessage(35, LogLevel.Information, "{Endpoint} read its session synchronously (a thread blocked for the round trip); its requests now read the session before it runs. Call await Session.LoadAsync() in it to skip this.")]
    private static partial void LogLearnedSynchronousEndpoint(ILogger logger, string endpoint);

    [LoggerMessage(31, LogLevel.Debug, "Answered 503 ({Reason}): the session store is unavailable.")]
    private static partial void LogUnavailableResponse(ILogger logger, string reason);

    [LoggerMessage(32, LogLevel.Error, "A session operation failed after the response started.")]
    private static partial void LogFailedAfterStart(ILogger logger, Exception exception);
}
