using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore;
using Tessera.AspNetCore.OpenIdConnect;

namespace Tessera;

/// <summary>OpenID Connect Back-Channel Logout 1.0 for logins kept by Tessera's ticket store.</summary>
public static class TesseraBackChannelLogoutExtensions
{
    /// <summary>
    /// Maps the back-channel logout endpoint (POST, anonymous, no antiforgery: the identity provider calls
    /// it server to server). It validates the logout token against the OpenID Connect scheme's
    /// configuration (signature by a key of the provider's JWKS, <c>iss</c>, <c>aud</c> = the client id,
    /// a recent <c>iat</c>, the back-channel <c>events</c> claim, no <c>nonce</c>, <c>sid</c> and/or
    /// <c>sub</c>, a <c>jti</c> not seen before) and ends, on every server, the logins (and their sessions)
    /// that provider session signed in, or with only a <c>sub</c>, every login of that user. Needs
    /// <c>AddTesseraTicketStore()</c>: the ticket store records each login's <c>sid</c> at sign-in.
    /// </summary>
    /// <param name="endpoints">The app.</param>
    /// <param name="pattern">The route (register it at the provider as the back-channel logout URI).</param>
    /// <param name="scheme">The OpenID Connect authentication scheme whose provider and client id the token must match.</param>
    /// <param name="configure">Changes the token checks, if given.</param>
    /// <returns>The endpoint's builder.</returns>
    /// <exception cref="InvalidOperationException">The scheme has no client id or no provider configuration, or Tessera's ticket store is not registered.</exception>
    public static IEndpointConventionBuilder MapTesseraBackChannelLogout(
        this IEndpointRouteBuilder endpoints,
        string pattern = "/signout-backchannel",
        string scheme = OpenIdConnectDefaults.AuthenticationScheme,
        Action<TesseraBackChannelLogoutOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        var options = new TesseraBackChannelLogoutOptions();
        configure?.Invoke(options);
        options.Validate();

        var services = endpoints.ServiceProvider;
        var oidc = services.GetRequiredService<IOptionsMonitor<OpenIdConnectOptions>>().Get(scheme);
        if (string.IsNullOrEmpty(oidc.ClientId) || (oidc.Configuration is null && oidc.ConfigurationManager is null))
        {
            throw new InvalidOperationException($"The OpenID Connect scheme '{scheme}' has no client id or no provider (Authority, MetadataAddress or Configuration): back-channel logout cannot check tokens against it.");
        }

        var tickets = services.GetService<TesseraTicketStore>()
            ?? throw new InvalidOperationException("Back-channel logout needs Tessera's ticket store: call AddTesseraTicketStore().");
        var handler = new BackChannelLogoutEndpoint(
            services.GetRequiredService<RedisSessionStore>(),
            tickets,
            oidc,
            scheme,
            options,
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Tessera.AspNetCore.OpenIdConnect.BackChannelLogout"));
        return endpoints.MapPost(pattern, handler.HandleAsync)
            .AllowAnonymous()
            .DisableAntiforgery();
    }
}
