namespace Tessera.AspNetCore;

/// <summary>
/// When the middleware reads a request's session from Redis before the endpoint runs (awaited, so no
/// thread waits for the reply), rather than on the endpoint's first use of <c>HttpContext.Session</c>.
/// </summary>
/// <remarks>
/// A first use without <c>await Session.LoadAsync()</c> (<c>GetString</c>, <c>TryGetValue</c>, MVC's
/// session TempData) reads synchronously: a pool thread blocks for the round trip, as with the stock
/// session. Many at once starve the thread pool that completes the replies they wait for (on a 2-core
/// box, 32 concurrent synchronous reads missed a 2 s bound a quarter of the time); read ahead, they do not.
/// </remarks>
public enum SessionPreload
{
    /// <summary>Never read ahead: the session is read on first use (synchronously, if the endpoint does so).</summary>
    Never,

    /// <summary>
    /// Read ahead for the endpoints that have read their session synchronously: the first such request
    /// reads synchronously and teaches the middleware (log event 35, metric
    /// <c>tessera.sessions.synchronous_loads</c>); from then on, every request to that endpoint that
    /// carries a session id is read before the endpoint runs. Endpoints that never read synchronously
    /// (those that call <c>LoadAsync</c>, or never use the session) pay nothing.
    /// </summary>
    SynchronousEndpoints,

    /// <summary>
    /// Read ahead for every request that carries a session id, also the ones whose endpoint never uses
    /// the session (one round trip each, where they would otherwise cost at most a background slide).
    /// </summary>
    Always,
}
