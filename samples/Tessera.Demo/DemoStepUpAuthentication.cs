using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Tessera.Demo;

/// <summary>
/// Where a request that needs a (more recent) sign-in is sent: the demo's default challenge scheme,
/// which <c>RequireRecentAuthentication</c> challenges when the session's sign-in is too old. It
/// authenticates nobody (the session is the login in this demo); its challenge redirects to the
/// confirmation page with the URL to come back to, as cookie authentication redirects to its login path.
/// </summary>
internal sealed class DemoStepUpAuthentication(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "demo-step-up";
    public const string ConfirmPath = "/confirm";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => Task.FromResult(AuthenticateResult.NoResult());

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var back = InputRules.LocalPath(properties.RedirectUri) ?? "/devices";
        Response.StatusCode = StatusCodes.Status302Found;
        Response.Headers.Location = ConfirmPath + "?returnUrl=" + Uri.EscapeDataString(back);
        return Task.CompletedTask;
    }
}
