using System.Security.Claims;

namespace Tessera.AspNetCore;

/// <summary>How cookie authentication and Tessera work together (<c>AddTesseraTicketStore</c>).</summary>
public sealed class TesseraAuthenticationOptions
{
    /// <summary>Whether a cookie sign-in rotates the request's session id and binds it to the user (the ticket and the session are then one device).</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool RotateSessionOnSignIn { get; set; } = true;

    /// <summary>Whether a cookie sign-out ends the request's Tessera session, rather than leave it as it is.</summary>
    /// <value>Default <see langword="true"/>: nothing of the signed-out user stays in the browser's session.</value>
    public bool EndSessionOnSignOut { get; set; } = true;

    /// <summary>
    /// The cookie-authentication schemes whose tickets are logins: kept in Redis by the ticket store,
    /// listed as a device of the user and counted against <see cref="TesseraOptions.MaxSessionsPerUser"/>,
    /// and whose sign-in rotates the session into the user (setting its authentication time) and whose
    /// sign-out ends it. A scheme not listed keeps its ticket in its cookie and leaves the session alone.
    /// </summary>
    /// <value>
    /// Empty by default: every cookie scheme except ASP.NET Core Identity's steps of a sign-in, which are
    /// no login of their own: <c>IdentityConstants.ExternalScheme</c> (an external provider's answer),
    /// <c>TwoFactorUserIdScheme</c> (the password passed, the second factor not yet) and
    /// <c>TwoFactorRememberMeScheme</c> ("remember this browser" for the second factor).
    /// <c>AddTesseraIdentity()</c> sets it to <c>IdentityConstants.ApplicationScheme</c>.
    /// </value>
    public ICollection<string> LoginSchemes { get; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>
    /// The user key a login is indexed under (what "log out everywhere", the devices page and the
    /// per-user limit group by), or null for a principal with none. The default,
    /// <see cref="TesseraUserKey.FromPrincipal"/>, is the <c>NameIdentifier</c> (else the name) qualified
    /// by its issuer, so one subject from two identity providers is two users.
    /// </summary>
    public Func<ClaimsPrincipal, string?> UserKeySelector { get; set; } = TesseraUserKey.FromPrincipal;

    /// <summary>
    /// The <see cref="Microsoft.AspNetCore.Authentication.AuthenticationProperties.Items"/> entry that names how
    /// a cookie sign-in happened ("password", "passkey", "google"), recorded on the device (<see cref="SessionMetadata.SignInMethod"/>).
    /// Without it, the principal's first <c>amr</c> claim (authentication methods reference) is recorded, if any.
    /// </summary>
    public const string SignInMethodItem = "Tessera.SignInMethod";

    /// <summary>How a cookie sign-in happened: <see cref="SignInMethodItem"/>, else the first <c>amr</c> claim.</summary>
    internal static string? SignInMethodOf(ClaimsPrincipal principal, Microsoft.AspNetCore.Authentication.AuthenticationProperties? properties) =>
        properties?.Items.TryGetValue(SignInMethodItem, out var method) == true && !string.IsNullOrWhiteSpace(method)
            ? method
            : principal.FindFirst("amr")?.Value;

    /// <summary>Identity's cookie schemes that carry a step of a sign-in, never a login.</summary>
    private static readonly HashSet<string> SignInSteps = new(StringComparer.Ordinal)
    {
        Microsoft.AspNetCore.Identity.IdentityConstants.ExternalScheme,
        Microsoft.AspNetCore.Identity.IdentityConstants.TwoFactorUserIdScheme,
        Microsoft.AspNetCore.Identity.IdentityConstants.TwoFactorRememberMeScheme,
    };

    /// <summary>Whether a cookie scheme's tickets are logins (<see cref="LoginSchemes"/>).</summary>
    /// <param name="scheme">The scheme's name.</param>
    /// <returns><see langword="true"/> for a login scheme.</returns>
    internal bool IsLoginScheme(string? scheme) =>
        scheme is not null && (LoginSchemes.Count > 0 ? LoginSchemes.Contains(scheme) : !SignInSteps.Contains(scheme));
}
