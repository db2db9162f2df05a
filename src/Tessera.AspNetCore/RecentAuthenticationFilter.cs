using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

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
/// <c>password.confirm</c> and Phoenix's <c>sudo_mode?</c>. The time is the session's
/// <see cref="SessionMetadata.AuthenticatedAt"/>, else the login's (<see cref="TesseraTicketStore.AuthenticatedAtItem"/>),
/// by Redis's clock, against the app's <see cref="TimeProvider"/> (from DI, else the system clock).
/// </summary>
internal static class RecentAuthentication
{
    /// <summary>The response header that tells a client why it was challenged.</summary>
    public const string ReasonHeader = "Tessera-Step-Up";

    /// <summary>Null when the request may pass, else why not (<c>not-authenticated</c> or <c>authentication-too-old</c>).</summary>
    public static async Task<string?> RefusalAsync(HttpContext http, TimeSpan maxAge)
    {
        var at = await AuthenticatedAtAsync(http).ConfigureAwait(false);
        var now = (http.RequestServices.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System).GetUtcNow();
        return at switch
        {
            null => "not-authenticated",
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

    private static async Task<DateTimeOffset?> AuthenticatedAtAsync(HttpContext http)
    {
        if (http.Features.Get<ISessionFeature>()?.Session is ITesseraSession session)
        {
            await session.LoadAsync(http.RequestAborted).ConfigureAwait(false);
            if (session.Metadata?.AuthenticatedAt is { } at)
            {
                return at;
            }
        }

        AuthenticateResult result;
        try
        {
            result = await http.AuthenticateAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            return null;
        }

        return result.Succeeded
            && result.Properties?.Items.TryGetValue(TesseraTicketStore.AuthenticatedAtItem, out var text) == true
            && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : null;
    }
}
