namespace Tessera.AspNetCore.OpenIdConnect;

/// <summary>Why a logout token was refused (logged; the response says only <c>invalid_request</c>).</summary>
internal enum LogoutTokenRefusal
{
    /// <summary>Accepted.</summary>
    None = 0,

    /// <summary>Not a form POST with exactly one <c>logout_token</c> of a sane size.</summary>
    BadRequest,

    /// <summary>Not a JWT.</summary>
    Malformed,

    /// <summary>Unsigned (<c>alg: none</c>) or of another type than a logout token.</summary>
    Unsigned,

    /// <summary>The signature does not verify with the provider's keys.</summary>
    Signature,

    /// <summary>The issuer is not the provider.</summary>
    Issuer,

    /// <summary>The audience does not hold the client id.</summary>
    Audience,

    /// <summary>No <c>iat</c>, or too old, or in the future; or past its <c>exp</c>.</summary>
    Time,

    /// <summary>No <c>events</c> claim with the back-channel logout member.</summary>
    Events,

    /// <summary>A <c>nonce</c> is present (an ID token, not a logout token).</summary>
    Nonce,

    /// <summary>Neither <c>sid</c> nor <c>sub</c>.</summary>
    Subject,

    /// <summary>No <c>jti</c> while replay detection is on.</summary>
    MissingJti,

    /// <summary>The <c>jti</c> was accepted before.</summary>
    Replayed,

    /// <summary>The token failed validation for another reason.</summary>
    Invalid,
}
