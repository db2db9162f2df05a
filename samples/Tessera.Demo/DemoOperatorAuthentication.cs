using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore;

namespace Tessera.Demo;

/// <summary>
/// The demo's operators: whoever logged in on the demo page (the login stores the role "operator" in
/// the session; a real app would take it from its identity provider). The dashboard's policy names it;
/// it still answers only under <see cref="DashboardPath"/>, so that the demo's other pages (and
/// <c>/api/ttl</c>, which must not refresh the session) never load the session for it, whatever runs it. An anonymous visitor is sent to the demo page to log in; a session without the role
/// is refused with 403.
/// </summary>
internal sealed class DemoOperatorAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "demo-session";
    public const string RoleKey = "demo:role";
    public const string OperatorRole = "operator";
    public const string PolicyName = "operators";
    public const string DashboardPath = "/admin";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Path.StartsWithSegments(DashboardPath, StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var session = Context.GetTesseraSession();
        await session.LoadAsync(Context.RequestAborted);
        if (!session.Exists || session.UserId is not { } user)
        {
            return AuthenticateResult.NoResult();
        }

        var claims = new List<Claim> { new(ClaimTypes.Name, user) };
        if (session.GetString(RoleKey) is { } role)
        {
            claims.Add(new Claim(ClaimTypes.Role, role));
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status302Found;
        Response.Headers.Location = "/?m=admin";
        return Task.CompletedTask;
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        return Task.CompletedTask;
    }
}
