using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tessera.AspNetCore;

namespace Tessera;

/// <summary>Endpoint conventions for Tessera.</summary>
public static class TesseraEndpointConventionBuilderExtensions
{
    /// <summary>
    /// Serializes the requests of one session on this endpoint with the per-session lock (for
    /// read-modify-write of a value such as a JSON cart). <c>app.UseRouting()</c> must come before
    /// <c>app.UseTessera()</c> so the middleware sees the endpoint.
    /// </summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">The endpoint builder.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static TBuilder RequireSessionLock<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(static endpoint => endpoint.Metadata.Add(new RequireSessionLockAttribute()));
        return builder;
    }

    /// <summary>
    /// Requests to this endpoint read the session without extending it (<see cref="NoSessionSlidingAttribute"/>):
    /// for polls and for asking <see cref="ITesseraSession.TimeLeft"/> without resetting it. MVC has the
    /// attribute itself. <c>app.UseRouting()</c> must come before <c>app.UseTessera()</c>.
    /// </summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">The endpoint builder.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static TBuilder WithoutSessionSliding<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Add(static endpoint => endpoint.Metadata.Add(new NoSessionSlidingAttribute()));
        return builder;
    }

    /// <summary>
    /// Step-up: the endpoint runs only when its user signed in (or re-authenticated) within
    /// <paramref name="maxAge"/>; otherwise the request gets a challenge (cookie authentication
    /// redirects to its login page, with this URL to return to) and a <c>Tessera-Step-Up</c> header.
    /// Signing in again (<c>HttpContext.SignInAsync</c> or <see cref="ITesseraSession.SignInAsync"/>)
    /// records a new authentication time. With a signed-in principal, a session's time counts only when the
    /// session is signed in as that principal's user key, so another account's fresh session does not vouch
    /// for an old login. An endpoint filter: for minimal APIs and route handlers; MVC has
    /// <see cref="RequireRecentAuthenticationAttribute"/>.
    /// </summary>
    /// <typeparam name="TBuilder">The builder type.</typeparam>
    /// <param name="builder">The endpoint builder.</param>
    /// <param name="maxAge">How long ago the user may have authenticated at most.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static TBuilder RequireRecentAuthentication<TBuilder>(this TBuilder builder, TimeSpan maxAge)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        return builder.AddEndpointFilter(new RecentAuthenticationFilter(maxAge));
    }
}
