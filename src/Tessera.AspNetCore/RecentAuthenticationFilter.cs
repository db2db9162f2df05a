using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore;

/// <summary>
/// Step-up for minimal APIs and route handlers: the endpoint filter behind
/// <see cref="TesseraEndpointConventionBuilderExtensions.RequireRecentAuthentication{TBuilder}"/>.
/// </summary>
internal sealed class RecentAuthenticationFilter(TimeSpan maxAge) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (await RecentAuthentication.RefusalAsync(context.HttpContext, maxAge).ConfigureAwait(false) is not { } reason)
        {
            return await next(context).ConfigureAwait(false);
        }

        await RecentAuthentication.ChallengeAsync(context.HttpContext, reason).ConfigureAwait(false);
        return Results.Empty;
    }
}

/// <summary>
/// The step-up rule, one copy for the endpoint filter and <see cref="RequireRecentAuthenticationAttribute"/>:
/// a request passes only when its user authenticated within a time, else it gets a challenge (with
/// cookie authentication, a redirect to the login page with a return URL), as Laravel's
/// <c>password.confirm</c> and Phoenix's <c>sudo_mode?</c>. The time is the login's
/// (<see cref="TesseraTicketStore.AuthenticatedAtItem"/>) or the session's <see cref="SessionMetadata.AuthenticatedAt"/>
/// when the session is the signed-in principal's (see <c>AuthenticatedAtAsync</c>), by Redis's clock,
/// against the app's <see cref="TimeProvider"/> (from DI, else the system clock).
/// </summary>
internal static class RecentAuthentication
{
    /// <summary>The response header that tells a client why it was challenged.</summary>
    public const string ReasonHeader = "Tessera-Step-Up";

    /// <summary>
    /// Null when the request may pass, else why not: <c>not-authenticated</c>, <c>authentication-too-old</c>,
    /// or <c>session-of-another-user</c> (a principal is signed in, and the only recent time is a session's
    /// signed in as someone else).
    /// </summary>
    public static async Task<string?> RefusalAsync(HttpContext http, TimeSpan maxAge)
    {
        var (at, foreign) = await AuthenticatedAtAsync(http).ConfigureAwait(false);
        var now = (http.RequestServices.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System).GetUtcNow();
        return at switch
        {
            null => foreign ? "session-of-another-user" : "not-authenticated",
            { } authenticated when now - authenticated <= maxAge => null,
            _ => "authentication-too-old",
        };
    }

    /// <summary>Answers the challenge: the reason header, then the default scheme's challenge (a plain 401 without one).</summary>
    public static async Task ChallengeAsync(HttpContext http, string reason)
    {
        http.Response.Headers[ReasonHeader] = reason;
        var properties = new AuthenticationProperties { RedirectUri = http.Request.PathBase + http.Request.Path + http.Request.QueryString };
        try
        {
            await http.ChallengeAsync(properties).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // No authentication scheme to challenge with: a plain 401.
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
        }
    }

    /// <summary>
    /// When the request's user last authenticated. With a principal signed in (by the default scheme, or by
    /// the endpoint's own schemes through the authorization middleware), that is
    /// its login's time, or the session's only when the session is signed in as that principal's user key
    /// (<see cref="TesseraAuthenticationOptions.UserKeySelector"/>): the session cookie and the login cookie
    /// are separate, and a fresh session of one account must not vouch for an old login of another. With
    /// no principal, the session is the identity (a session sign-in) and its time counts.
    /// </summary>
    private static async Task<(DateTimeOffset? At, bool Foreign)> AuthenticatedAtAsync(HttpContext http)
    {
        SessionMetadata? meta = null;
        if (http.Features.Get<ISessionFeature>()?.Session is ITesseraSession session)
        {
            await session.LoadAsync(http.RequestAborted).ConfigureAwait(false);
            meta = session.Metadata;
        }

        AuthenticateResult? result = null;
        try
        {
            result = await http.AuthenticateAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // No default authentication scheme: sessions are the only sign-in.
        }

        // The principal the endpoint runs as: the default scheme's, else the one the authorization
        // middleware put on the request for the endpoint's own schemes (an app with no default scheme).
        if (result is not { Succeeded: true } && http.Features.Get<IAuthenticateResultFeature>()?.AuthenticateResult is { Succeeded: true } policy)
        {
            result = policy;
        }

        var principal = result is { Succeeded: true, Principal: { } signedIn } ? signedIn
            : http.User.Identity?.IsAuthenticated == true ? http.User
            : null;
        if (principal is null)
        {
            return (meta?.AuthenticatedAt, false);
        }

        DateTimeOffset? login = result is { Succeeded: true } && result.Properties?.Items.TryGetValue(TesseraTicketStore.AuthenticatedAtItem, out var text) == true
            && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
        if (meta?.AuthenticatedAt is not { } sessionAt)
        {
            return (login, false);
        }

        var selector = http.RequestServices.GetService<IOptions<TesseraAuthenticationOptions>>()?.Value.UserKeySelector ?? TesseraUserKey.FromPrincipal;
        var user = selector(principal);
        if (!TesseraUserKey.IsUsable(user) || meta.UserId != user)
        {
            return (login, login is null);
        }

        return (login is { } l && l > sessionAt ? l : sessionAt, false);
    }
}
