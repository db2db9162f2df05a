namespace Tessera.AspNetCore.OpenIdConnect;

/// <summary>A validated logout token: who issued it, and whose session or subject it ends.</summary>
/// <param name="Issuer">The provider (<c>iss</c>).</param>
/// <param name="Sid">The provider's session id, or null.</param>
/// <param name="Subject">The subject, or null.</param>
/// <param name="Jti">The token's id, or null.</param>
internal sealed record LogoutToken(string Issuer, string? Sid, string? Subject, string? Jti);
