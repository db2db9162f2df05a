using System.Security.Claims;

namespace Tessera.AspNetCore;

/// <summary>
/// The claims the ticket store reads and writes on a login's principal: the login's handle, added on
/// every retrieval (never stored) so a live connection opened with the cookie knows which login to
/// re-check; and the identity provider's session (<c>sid</c>) a login was signed in with.
/// </summary>
internal static class TesseraClaims
{
    /// <summary>The claim type of the login's handle (<c>SessionIds.Handle</c> of the ticket key: not a bearer token).</summary>
    public const string Login = "urn:tessera:login";

    /// <summary>The issuer of <see cref="Login"/>: only a claim with it is believed.</summary>
    public const string Issuer = "Tessera";

    /// <summary>The OpenID Connect session id claim, as the token carries it (<c>MapInboundClaims = false</c>).</summary>
    public const string Sid = "sid";

    /// <summary>The same claim as the handler maps it with <c>MapInboundClaims</c> on (the default).</summary>
    public const string MappedSid = ClaimTypes.Sid;

    /// <summary>The login handle of a principal authenticated by the ticket store, or null.</summary>
    /// <param name="principal">The principal.</param>
    /// <returns>The handle, or null.</returns>
    public static string? LoginHandleOf(ClaimsPrincipal? principal)
    {
        var claim = principal?.FindFirst(static c => c.Type == Login && c.Issuer == Issuer);
        return claim is not null && SessionIds.IsValid(claim.Value) ? claim.Value : null;
    }

    /// <summary>The identity provider session (issuer, sid) a principal was signed in with, or null.</summary>
    /// <param name="principal">The principal.</param>
    /// <returns>The pair, or null.</returns>
    public static (string Issuer, string Sid)? IdpSessionOf(ClaimsPrincipal principal)
    {
        var claim = principal.FindFirst(static c => (c.Type == Sid || c.Type == MappedSid)
            && !string.IsNullOrEmpty(c.Value) && c.Value.Length <= 1024
            && !string.IsNullOrEmpty(c.Issuer) && c.Issuer != ClaimsIdentity.DefaultIssuer && c.Issuer != Issuer);
        return claim is null ? null : (claim.Issuer, claim.Value);
    }

    /// <summary>Removes every <see cref="Login"/> claim (a stored ticket must not carry one; a provider must not plant one).</summary>
    /// <param name="principal">The principal.</param>
    /// <returns>Whether any was removed.</returns>
    public static bool StripLogin(ClaimsPrincipal principal)
    {
        var removed = false;
        foreach (var identity in principal.Identities)
        {
            foreach (var claim in identity.FindAll(Login).ToList())
            {
                removed |= identity.TryRemoveClaim(claim);
            }
        }

        return removed;
    }

    /// <summary>Marks a retrieved principal with its login's handle (replacing any other).</summary>
    /// <param name="principal">The principal.</param>
    /// <param name="loginId">The ticket key.</param>
    public static void MarkLogin(ClaimsPrincipal principal, string loginId)
    {
        StripLogin(principal);
        if (principal.Identities.FirstOrDefault() is { } identity)
        {
            identity.AddClaim(new Claim(Login, SessionIds.Handle(loginId), ClaimValueTypes.String, Issuer));
        }
    }
}
