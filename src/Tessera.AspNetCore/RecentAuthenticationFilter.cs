using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Tessera.AspNetCore;

/// <summary>
/// Step-up: lets a request through only when its user authenticated within a time, else answers a
/// challenge (with cookie authentication, a redirect to the login page with a return URL), as
/// Laravel's <c>password.confirm</c> and Phoenix's <c>sudo_mode?</c>. The time is the session's
/// <see cref="SessionMetadata.AuthenticatedAt"/>, else the login's (<see cref="TesseraTicketStore.AuthenticatedAtItem"/>),
/// by Redis's clock, against the app's <see cref="TimeProvider"/> (from DI, else the system clock).
/// </summary>
internal sealed class RecentAuthenticationFilter(TimeSpan maxAge) : IEndpointFilter
{
    /// <summary>The response header that tells a client why it was challenged.</summary>
    public const string ReasonHeader = "Tessera-Step-Up";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var at = await AuthenticatedAtAsync(http).ConfigureAwait(false);
        var now = (http.RequestServices.GetService(typeof(TimeProvider)) as TimeProvider ?? TimeProvider.System).GetUtcNow();
        if (at is { } when && now - when <= maxAge)
        {
            return await next(context).ConfigureAwait(false);
        }

        http.Response.Headers[ReasonHeader] = at is null ? "not-authenticated" : "authentication-too-old";
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

        return Results.Empty;
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
