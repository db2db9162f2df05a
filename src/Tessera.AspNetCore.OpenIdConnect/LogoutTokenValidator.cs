using System.Text.Json;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Tessera.AspNetCore.OpenIdConnect;

/// <summary>
/// Validates a logout token as OpenID Connect Back-Channel Logout 1.0 section 2.6 requires, against an
/// OpenID Connect scheme's configuration: the signature with the provider's keys (from its discovery
/// document and JWKS; <c>alg: none</c> refused), <c>iss</c>, <c>aud</c>, <c>iat</c> (present and recent),
/// <c>exp</c> when present, the <c>events</c> claim, no <c>nonce</c>, <c>sid</c> and/or <c>sub</c>.
/// </summary>
internal sealed class LogoutTokenValidator(OpenIdConnectOptions scheme, TesseraBackChannelLogoutOptions options, TimeProvider time, ILogger logger)
{
    /// <summary>The member of the <c>events</c> claim that makes a JWT a logout token.</summary>
    public const string BackChannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout";

    /// <summary>The longest <c>sid</c>, <c>sub</c> or <c>jti</c> accepted.</summary>
    private const int MaxClaimLength = 1024;

    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    /// <summary>Validates a token.</summary>
    /// <param name="token">The <c>logout_token</c> form value.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The token, or why it was refused.</returns>
    /// <exception cref="InvalidOperationException">The provider's configuration could not be read.</exception>
    public async Task<(LogoutToken? Token, LogoutTokenRefusal Refusal)> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (!Handler.CanReadToken(token))
        {
            return (null, LogoutTokenRefusal.Malformed);
        }

        JsonWebToken parsed;
        try
        {
            parsed = Handler.ReadJsonWebToken(token);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException or JsonException or FormatException)
        {
            return (null, LogoutTokenRefusal.Malformed);
        }

        // Section 2.6: "MUST NOT be none". The handler refuses unsigned tokens too; this says why.
        if (!parsed.IsEncrypted && (string.IsNullOrEmpty(parsed.Alg) || string.Equals(parsed.Alg, "none", StringComparison.OrdinalIgnoreCase) || string.IsNullOrEmpty(parsed.EncodedSignature)))
        {
            return (null, LogoutTokenRefusal.Unsigned);
        }

        // Explicit typing (section 2.4): a token typed as anything else (an access token, say) is not one.
        if (!string.IsNullOrEmpty(parsed.Typ) && !IsLogoutType(parsed.Typ))
        {
            return (null, LogoutTokenRefusal.Unsigned);
        }

        var result = await ValidateSignedAsync(token, cancellationToken).ConfigureAwait(false);
        if (!result.IsValid && result.Exception is SecurityTokenSignatureKeyNotFoundException && scheme.ConfigurationManager is { } manager)
        {
            // The provider may have rotated its keys since the configuration was read: read it again, once.
            BackChannelLogoutLog.RefreshingKeys(logger);
            manager.RequestRefresh();
            result = await ValidateSignedAsync(token, cancellationToken).ConfigureAwait(false);
        }

        if (!result.IsValid)
        {
            return (null, result.Exception switch
            {
                SecurityTokenInvalidIssuerException => LogoutTokenRefusal.Issuer,
                SecurityTokenInvalidAudienceException => LogoutTokenRefusal.Audience,
                SecurityTokenInvalidSignatureException or SecurityTokenSignatureKeyNotFoundException => LogoutTokenRefusal.Signature,
                SecurityTokenInvalidAlgorithmException => LogoutTokenRefusal.Unsigned,
                _ => LogoutTokenRefusal.Invalid,
            });
        }

        var jwt = (JsonWebToken)result.SecurityToken;
        var payload = (jwt.InnerToken ?? jwt).EncodedPayload;
        using var document = JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(payload));
        var claims = document.RootElement;
        if (claims.ValueKind != JsonValueKind.Object)
        {
            return (null, LogoutTokenRefusal.Malformed);
        }

        var issuer = claims.TryGetProperty("iss", out var iss) && iss.ValueKind == JsonValueKind.String ? iss.GetString() : null;
        if (string.IsNullOrEmpty(issuer))
        {
            return (null, LogoutTokenRefusal.Issuer);
        }

        var refusal = CheckTimes(claims);
        if (refusal != LogoutTokenRefusal.None)
        {
            return (null, refusal);
        }

        if (!claims.TryGetProperty("events", out var events) || events.ValueKind != JsonValueKind.Object
            || !events.TryGetProperty(BackChannelLogoutEvent, out var member) || member.ValueKind != JsonValueKind.Object)
        {
            return (null, LogoutTokenRefusal.Events);
        }

        if (claims.TryGetProperty("nonce", out _))
        {
            return (null, LogoutTokenRefusal.Nonce);
        }

        if (!TryText(claims, "sid", out var sid) || !TryText(claims, "sub", out var sub) || (sid is null && sub is null))
        {
            return (null, LogoutTokenRefusal.Subject);
        }

        if (!TryText(claims, "jti", out var jti) || (options.DetectReplay && jti is null))
        {
            return (null, LogoutTokenRefusal.MissingJti);
        }

        return (new LogoutToken(issuer, sid, sub, jti), LogoutTokenRefusal.None);
    }

    private async Task<TokenValidationResult> ValidateSignedAsync(string token, CancellationToken cancellationToken)
    {
        var configuration = scheme.Configuration
            ?? (scheme.ConfigurationManager is { } manager
                ? await manager.GetConfigurationAsync(cancellationToken).ConfigureAwait(false)
                : throw new InvalidOperationException("The OpenID Connect scheme has neither a Configuration nor a ConfigurationManager."));

        // As the OpenID Connect handler validates an ID token: the scheme's parameters, plus the issuer and
        // the keys of the provider's configuration, and the client id as the audience. What makes a token
        // acceptable at all is forced on, whatever the scheme says.
        var parameters = scheme.TokenValidationParameters.Clone();
        parameters.ValidIssuers = (parameters.ValidIssuers ?? []).Append(configuration.Issuer).Where(static i => !string.IsNullOrEmpty(i)).ToList();
        parameters.IssuerSigningKeys = (parameters.IssuerSigningKeys ?? []).Concat(configuration.SigningKeys).ToList();
        if (string.IsNullOrEmpty(parameters.ValidAudience) && parameters.ValidAudiences?.Any() != true)
        {
            parameters.ValidAudience = scheme.ClientId;
        }

        parameters.ValidateIssuer = true;
        parameters.ValidateAudience = true;
        parameters.RequireSignedTokens = true;
        parameters.SignatureValidator = null;
        parameters.IssuerSigningKeyResolver = null;
        parameters.AudienceValidator = null;
        parameters.ValidateLifetime = false; // iat and exp are checked below, by this server's TimeProvider.
        parameters.RequireExpirationTime = false;
        parameters.ValidateTokenReplay = false;
        parameters.ValidTypes = null;
        return await Handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
    }

    private LogoutTokenRefusal CheckTimes(JsonElement claims)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        var skew = (long)options.ClockSkew.TotalSeconds;
        if (!claims.TryGetProperty("iat", out var iat) || iat.ValueKind != JsonValueKind.Number || !iat.TryGetInt64(out var issuedAt))
        {
            return LogoutTokenRefusal.Time;
        }

        if (issuedAt > now + skew || now - issuedAt > (long)options.MaxTokenAge.TotalSeconds + skew)
        {
            return LogoutTokenRefusal.Time;
        }

        if (claims.TryGetProperty("exp", out var exp) && (exp.ValueKind != JsonValueKind.Number || !exp.TryGetInt64(out var expires) || expires + skew < now))
        {
            return LogoutTokenRefusal.Time;
        }

        return LogoutTokenRefusal.None;
    }

    /// <summary>A string claim: absent (null, true), a sane non-empty string (true), anything else (false).</summary>
    private static bool TryText(JsonElement claims, string name, out string? value)
    {
        value = null;
        if (!claims.TryGetProperty(name, out var element))
        {
            return true;
        }

        if (element.ValueKind != JsonValueKind.String || element.GetString() is not { Length: > 0 and <= MaxClaimLength } text || text.Any(char.IsControl))
        {
            return false;
        }

        value = text;
        return true;
    }

    private static bool IsLogoutType(string typ) =>
        typ.Equals("logout+jwt", StringComparison.OrdinalIgnoreCase)
        || typ.Equals("application/logout+jwt", StringComparison.OrdinalIgnoreCase)
        || typ.Equals("JWT", StringComparison.OrdinalIgnoreCase);
}
