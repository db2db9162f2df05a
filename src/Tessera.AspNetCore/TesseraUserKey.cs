using System.Security.Claims;

namespace Tessera.AspNetCore;

/// <summary>
/// The default user key of a principal: the <c>NameIdentifier</c> claim (else the name claim), as is
/// for a claim issued locally (<c>LOCAL AUTHORITY</c>), else as <c>{issuer}|{value}</c>. A <c>|</c> or
/// <c>%</c> in either part is escaped (<c>%7C</c>, <c>%25</c>), so no local user name can spell an
/// external subject's key: the mapping is one-to-one.
/// </summary>
public static class TesseraUserKey
{
    /// <summary>The user key of a principal, or null when it has no usable identifier.</summary>
    /// <param name="principal">The principal signing in.</param>
    /// <returns>The key, or null.</returns>
    public static string? FromPrincipal(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var claim = principal.FindFirst(ClaimTypes.NameIdentifier)
            ?? (principal.Identity as ClaimsIdentity)?.FindFirst((principal.Identity as ClaimsIdentity)!.NameClaimType);
        if (claim is null || string.IsNullOrEmpty(claim.Value))
        {
            return null;
        }

        var value = Escape(claim.Value);
        var key = string.IsNullOrEmpty(claim.Issuer) || claim.Issuer == ClaimsIdentity.DefaultIssuer
            ? value
            : string.Concat(Escape(claim.Issuer), "|", value);
        return IsUsable(key) ? key : null;
    }

    /// <summary>Whether a key can be a Tessera user id (1 to 512 characters, no control characters).</summary>
    /// <param name="key">The key.</param>
    /// <returns>Whether it is usable.</returns>
    public static bool IsUsable(string? key) => Tessera.Internal.SessionLayout.IsValidUser(key);

    private static string Escape(string part) =>
        part.Contains('%', StringComparison.Ordinal) || part.Contains('|', StringComparison.Ordinal)
            ? part.Replace("%", "%25", StringComparison.Ordinal).Replace("|", "%7C", StringComparison.Ordinal)
            : part;
}
