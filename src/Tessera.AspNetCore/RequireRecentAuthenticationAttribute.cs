using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Tessera.AspNetCore;

/// <summary>
/// Step-up for MVC controllers, actions and Razor Pages page models: the action runs only when its
/// user signed in (or re-authenticated) within <see cref="MaxAge"/>; otherwise the request gets a
/// challenge (cookie authentication redirects to its login page, with this URL to return to) and a
/// <c>Tessera-Step-Up</c> header (<c>not-authenticated</c>, <c>authentication-too-old</c> or
/// <c>session-of-another-user</c>). A session's authentication time counts only for the principal it
/// was signed in as (see docs/security.md, "Step-up"). The same
/// rule as <see cref="TesseraEndpointConventionBuilderExtensions.RequireRecentAuthentication{TBuilder}"/>,
/// which is the one to use for minimal APIs (this attribute is an MVC filter: on a route handler it
/// would be ignored).
/// </summary>
/// <example><code>[RequireRecentAuthentication(300)] public IActionResult ChangeEmail() { ... }</code></example>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false, Inherited = true)]
public sealed class RequireRecentAuthenticationAttribute : Attribute, IAsyncAuthorizationFilter
{
    /// <summary>Requires an authentication no older than <paramref name="maxAgeSeconds"/>.</summary>
    /// <param name="maxAgeSeconds">How many seconds ago the user may have authenticated at most (1 or more).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxAgeSeconds"/> is below 1.</exception>
    public RequireRecentAuthenticationAttribute(int maxAgeSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAgeSeconds, 1);
        MaxAge = TimeSpan.FromSeconds(maxAgeSeconds);
    }

    /// <summary>How long ago the user may have authenticated at most.</summary>
    public TimeSpan MaxAge { get; }

    /// <inheritdoc />
    public async Task OnAuthorizationAsync(AuthorizationFilterContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (await RecentAuthentication.RefusalAsync(context.HttpContext, MaxAge).ConfigureAwait(false) is { } reason)
        {
            await RecentAuthentication.ChallengeAsync(context.HttpContext, reason).ConfigureAwait(false);
            context.Result = new EmptyResult();
        }
    }
}
