using Microsoft.AspNetCore.Http;
using Tessera.AspNetCore;

namespace Tessera;

/// <summary>Reaches Tessera's own session API from <see cref="ISession"/> and <see cref="HttpContext"/>.</summary>
public static class TesseraSessionExtensions
{
    /// <summary>Returns the session as Tessera's session.</summary>
    /// <param name="session">The session from <c>HttpContext.Session</c>.</param>
    /// <returns>The Tessera session.</returns>
    /// <exception cref="InvalidOperationException">The session is not Tessera's: <c>UseTessera()</c> is missing.</exception>
    public static ITesseraSession AsTessera(this ISession session) =>
        session as ITesseraSession
        ?? throw new InvalidOperationException("HttpContext.Session is not a Tessera session: call app.UseTessera() before this endpoint.");

    /// <summary>Returns the request's Tessera session.</summary>
    /// <param name="context">The HTTP context.</param>
    /// <returns>The Tessera session.</returns>
    /// <exception cref="InvalidOperationException"><c>UseTessera()</c> is missing.</exception>
    public static ITesseraSession GetTesseraSession(this HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Features.Get<Microsoft.AspNetCore.Http.Features.ISessionFeature>()?.Session as ITesseraSession
            ?? throw new InvalidOperationException("No Tessera session on this request: call app.UseTessera() before this endpoint.");
    }
}
