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

    /// <summary>Takes a string value (as stored by <c>SetString</c>): reads it and removes it in one step, see <see cref="ITesseraSession.TakeAsync"/>.</summary>
    /// <param name="session">The session.</param>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The string, or <see langword="null"/> when there was none (or another request took it first).</returns>
    public static async Task<string?> TakeStringAsync(this ITesseraSession session, string key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        return await session.TakeAsync(key, cancellationToken).ConfigureAwait(false) is { } bytes ? System.Text.Encoding.UTF8.GetString(bytes) : null;
    }

    /// <summary>
    /// Sets a string value (UTF-8, as <c>SetString</c> stores it) with its own lifetime, see
    /// <see cref="ITesseraSession.Set(string, byte[], TimeSpan)"/>: a one-time code valid for five minutes,
    /// a flash message that is not worth showing after a minute.
    /// </summary>
    /// <param name="session">The session.</param>
    /// <param name="key">The key.</param>
    /// <param name="value">The string.</param>
    /// <param name="lifetime">How long the value lives; more than zero.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lifetime"/> is zero or negative.</exception>
    public static void SetString(this ITesseraSession session, string key, string value, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(value);
        session.Set(key, System.Text.Encoding.UTF8.GetBytes(value), lifetime);
    }

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
