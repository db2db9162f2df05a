using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Tessera.IntegrationTests;

/// <summary>
/// A tiny OpenID provider on a loopback port (Kestrel): a discovery document and a JWKS with one RSA key,
/// and the tokens it signs (or an attacker forges: any header, any claims, any key).
/// </summary>
public sealed class TestIdentityProvider : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestIdentityProvider(WebApplication app, string issuer)
    {
        _app = app;
        Issuer = issuer;
    }

    /// <summary>The provider's signing key.</summary>
    public RSA Key { get; } = RSA.Create(2048);

    /// <summary>The key id in the JWKS.</summary>
    public string KeyId { get; } = "test-key-1";

    /// <summary>The issuer (also the authority: the discovery document is under it).</summary>
    public string Issuer { get; }

    /// <summary>Starts the provider on 127.0.0.1.</summary>
    /// <returns>The provider.</returns>
    public static async Task<TestIdentityProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        TestIdentityProvider? self = null;
        app.MapGet("/.well-known/openid-configuration", () =>
        {
            return Results.Text(
                new JsonObject
                {
                    ["issuer"] = self!.Issuer,
                    ["jwks_uri"] = self.Issuer + "/jwks",
                    ["authorization_endpoint"] = self.Issuer + "/authorize",
                    ["token_endpoint"] = self.Issuer + "/token",
                    ["response_types_supported"] = new JsonArray("code"),
                    ["subject_types_supported"] = new JsonArray("public"),
                    ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
                    ["backchannel_logout_supported"] = true,
                    ["backchannel_logout_session_supported"] = true,
                }.ToJsonString(),
                "application/json");
        });
        app.MapGet("/jwks", () =>
        {
            var p = self!.Key.ExportParameters(false);
            return Results.Text(
                new JsonObject
                {
                    ["keys"] = new JsonArray(new JsonObject
                    {
                        ["kty"] = "RSA",
                        ["use"] = "sig",
                        ["alg"] = "RS256",
                        ["kid"] = self.KeyId,
                        ["n"] = B64(p.Modulus!),
                        ["e"] = B64(p.Exponent!),
                    }),
                }.ToJsonString(),
                "application/json");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new TestIdentityProvider(app, address.TrimEnd('/'));
        return self;
    }

    /// <summary>The claims of a well-formed logout token for this provider and a client.</summary>
    /// <param name="audience">The client id.</param>
    /// <param name="sid">The provider session, or null.</param>
    /// <param name="sub">The subject, or null.</param>
    /// <returns>The claims, to change before signing.</returns>
    public JsonObject LogoutClaims(string audience, string? sid, string? sub)
    {
        var claims = new JsonObject
        {
            ["iss"] = Issuer,
            ["aud"] = audience,
            ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["exp"] = DateTimeOffset.UtcNow.AddMinutes(2).ToUnixTimeSeconds(),
            ["jti"] = Guid.NewGuid().ToString("N"),
            ["events"] = new JsonObject { ["http://schemas.openid.net/event/backchannel-logout"] = new JsonObject() },
        };
        if (sid is not null)
        {
            claims["sid"] = sid;
        }

        if (sub is not null)
        {
            claims["sub"] = sub;
        }

        return claims;
    }

    /// <summary>Signs claims as a JWT (RS256) with a key (the provider's unless given), header as given.</summary>
    /// <param name="claims">The payload.</param>
    /// <param name="key">The key; null: the provider's.</param>
    /// <param name="header">The header; null: <c>{alg: RS256, typ: logout+jwt, kid}</c>.</param>
    /// <returns>The compact JWT.</returns>
    public string Sign(JsonObject claims, RSA? key = null, JsonObject? header = null)
    {
        header ??= new JsonObject { ["alg"] = "RS256", ["typ"] = "logout+jwt", ["kid"] = KeyId };
        var signingInput = B64(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = (key ?? Key).SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return signingInput + "." + B64(signature);
    }

    /// <summary>An unsigned token (<c>alg: none</c>, empty signature).</summary>
    /// <param name="claims">The payload.</param>
    /// <returns>The compact JWT.</returns>
    public static string WithoutSignature(JsonObject claims) =>
        B64(Encoding.UTF8.GetBytes(new JsonObject { ["alg"] = "none", ["typ"] = "logout+jwt" }.ToJsonString())) + "." + B64(Encoding.UTF8.GetBytes(claims.ToJsonString())) + ".";

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Key.Dispose();
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
