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
    /// The user key a login is indexed under (what "log out everywhere", the devices page and the
    /// per-user limit group by), or null for a principal with none. The default,
    /// <see cref="TesseraUserKey.FromPrincipal"/>, is the <c>NameIdentifier</c> (else the name) qualified
    /// by its issuer, so one subject from two identity providers is two users.
    /// </summary>
    public Func<ClaimsPrincipal, string?> UserKeySelector { get; set; } = TesseraUserKey.FromPrincipal;
}
