using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Tessera.IntegrationTests;

/// <summary>
/// OpenID Connect back-channel logout end to end: a provider on a loopback port serves its discovery
/// document and JWKS, the app's OIDC scheme reads them, logins are signed in with the claims the OIDC
/// handler gives (<c>sub</c>, <c>sid</c>, issued by the provider), and logout tokens are POSTed to the
/// endpoint as the provider (or an attacker) would.
/// </summary>
public sealed class BackChannelLogoutTests(RedisFixture redis) : IAsyncLifetime
{
    private const string ClientId = "tessera-rp";
    private TestIdentityProvider _idp = null!;
    private readonly CapturingLoggerProvider _logs = new();
    private TestApp _app = null!;

    public async ValueTask InitializeAsync()
    {
        _idp = await TestIdentityProvider.StartAsync();
        _app = await StartAppAsync(redis.Endpoint);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        await _idp.DisposeAsync();
    }

    [Fact]
    public async Task ValidSidToken_EndsThatProviderSessionsLogin_AndTheCopiedCookieIsRefused()
    {
        using var laptop = await SignInAsync("alice", "sid-laptop");
        using var phone = await SignInAsync("alice", "sid-phone");
        using var bob = await SignInAsync("bob", "sid-bob");
        var stolen = laptop.Cookie(".AspNetCore.Cookies")!;

        var (status, body, cacheControl) = await PostAsync(_idp.Sign(_idp.LogoutClaims(ClientId, "sid-laptop", "alice")));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("no-store", cacheControl);
        Assert.Equal(string.Empty, body);
        Assert.Equal(HttpStatusCode.Unauthorized, (await laptop.GetTextAsync("/auth/me")).Status);
        using var attacker = _app.CreateClient();
        attacker.SetCookie(".AspNetCore.Cookies", stolen);
        Assert.Equal(HttpStatusCode.Unauthorized, (await attacker.GetTextAsync("/auth/me")).Status);

        // Another provider session of the same user, and another user, are untouched.
        Assert.Equal((HttpStatusCode.OK, "alice"), await phone.GetTextAsync("/auth/me"));
        Assert.Equal((HttpStatusCode.OK, "bob"), await bob.GetTextAsync("/auth/me"));
    }

    [Fact]
    public async Task SidClaimMappedByTheHandler_IsIndexedToo()
    {
        using var laptop = await SignInAsync("carol", "sid-mapped", ClaimTypes.Sid);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(_idp.Sign(_idp.LogoutClaims(ClientId, "sid-mapped", null)))).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await laptop.GetTextAsync("/auth/me")).Status);
    }

    [Fact]
    public async Task SubOnlyToken_EndsEveryLoginOfThatSubject_AndNoOneElses()
    {
        using var laptop = await SignInAsync("alice", "sid-1");
        using var phone = await SignInAsync("alice", "sid-2");
        using var bob = await SignInAsync("bob", "sid-3");

        Assert.Equal(HttpStatusCode.OK, (await PostAsync(_idp.Sign(_idp.LogoutClaims(ClientId, null, "alice")))).Status);

        Assert.Equal(HttpStatusCode.Unauthorized, (await laptop.GetTextAsync("/auth/me")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.GetTextAsync("/auth/me")).Status);
        Assert.Equal((HttpStatusCode.OK, "bob"), await bob.GetTextAsync("/auth/me"));
    }

    [Fact]
    public async Task TokenForUserA_NeverLogsOutUserB_WhateverSidItNames()
    {
        using var bob = await SignInAsync("bob", "sid-bob");

        // Alice's provider session and subject: Bob's login is neither.
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(_idp.Sign(_idp.LogoutClaims(ClientId, "sid-alice", "alice")))).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(_idp.Sign(_idp.LogoutClaims(ClientId, null, "alice")))).Status);

        // Bob's sid, but from another issuer (signed with the provider's key, so only the issuer is wrong): refused.
        var foreign = _idp.LogoutClaims(ClientId, "sid-bob", "bob");
        foreign["iss"] = "http://127.0.0.1:9/other-provider";
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(_idp.Sign(foreign))).Status);
        Assert.Equal((HttpStatusCode.OK, "bob"), await bob.GetTextAsync("/auth/me"));
    }

    [Fact]
    public async Task ReplayedJti_IsRefused_AndTheNewLoginSurvives()
    {
        using var first = await SignInAsync("dave", "sid-dave");
        var token = _idp.Sign(_idp.LogoutClaims(ClientId, "sid-dave", "dave"));
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(token)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await first.GetTextAsync("/auth/me")).Status);

        // The user signs in again in the same provider session; a replay of the old token must not end it.
        using var again = await SignInAsync("dave", "sid-dave");
        var (status, body, cacheControl) = await PostAsync(token);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("\"error\":\"invalid_request\"", body);
        Assert.Equal("no-store", cacheControl);
        Assert.Equal((HttpStatusCode.OK, "dave"), await again.GetTextAsync("/auth/me"));
    }

    [Theory]
    [InlineData("wrong-signature", "Signature")]
    [InlineData("unknown-key", "Signature")]
    [InlineData("alg-none", "Unsigned")]
    [InlineData("hs256-with-the-public-key", "Signature")]
    [InlineData("wrong-issuer", "Issuer")]
    [InlineData("wrong-audience", "Audience")]
    [InlineData("no-events", "Events")]
    [InlineData("events-without-the-logout-member", "Events")]
    [InlineData("nonce", "Nonce")]
    [InlineData("old-iat", "Time")]
    [InlineData("future-iat", "Time")]
    [InlineData("no-iat", "Time")]
    [InlineData("expired", "Time")]
    [InlineData("neither-sid-nor-sub", "Subject")]
    [InlineData("no-jti", "MissingJti")]
    [InlineData("typed-as-access-token", "Unsigned")]
    [InlineData("an-id-token", "Events")]
    public async Task ForgedOrUnfitToken_IsRefusedWith400_AndTheVictimStaysSignedIn(string attack, string reason)
    {
        using var victim = await SignInAsync("victim", "sid-victim");
        var claims = _idp.LogoutClaims(ClientId, "sid-victim", "victim");
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var otherKey = RSA.Create(2048);
        string token;
        switch (attack)
        {
            case "wrong-signature":
                token = _idp.Sign(claims, otherKey);
                break;
            case "unknown-key":
                token = _idp.Sign(claims, otherKey, new JsonObject { ["alg"] = "RS256", ["typ"] = "logout+jwt", ["kid"] = "attacker" });
                break;
            case "alg-none":
                token = TestIdentityProvider.WithoutSignature(claims);
                break;
            case "hs256-with-the-public-key":
                token = Hs256(claims, Encoding.UTF8.GetBytes(_idp.Key.ExportSubjectPublicKeyInfoPem()));
                break;
            case "wrong-issuer":
                claims["iss"] = "http://127.0.0.1:9/evil";
                token = _idp.Sign(claims);
                break;
            case "wrong-audience":
                claims["aud"] = "another-client";
                token = _idp.Sign(claims);
                break;
            case "no-events":
                claims.Remove("events");
                token = _idp.Sign(claims);
                break;
            case "events-without-the-logout-member":
                claims["events"] = new JsonObject { ["http://schemas.openid.net/event/something-else"] = new JsonObject() };
                token = _idp.Sign(claims);
                break;
            case "nonce":
                claims["nonce"] = "n-0S6_WzA2Mj";
                token = _idp.Sign(claims);
                break;
            case "old-iat":
                claims["iat"] = now - 3600;
                token = _idp.Sign(claims);
                break;
            case "future-iat":
                claims["iat"] = now + 3600;
                token = _idp.Sign(claims);
                break;
            case "no-iat":
                claims.Remove("iat");
                token = _idp.Sign(claims);
                break;
            case "expired":
                claims["exp"] = now - 600;
                token = _idp.Sign(claims);
                break;
            case "neither-sid-nor-sub":
                claims.Remove("sid");
                claims.Remove("sub");
                token = _idp.Sign(claims);
                break;
            case "no-jti":
                claims.Remove("jti");
                token = _idp.Sign(claims);
                break;
            case "typed-as-access-token":
                token = _idp.Sign(claims, header: new JsonObject { ["alg"] = "RS256", ["typ"] = "at+jwt", ["kid"] = _idp.KeyId });
                break;
            case "an-id-token":
                claims.Remove("events");
                claims["nonce"] = "n-1";
                token = _idp.Sign(claims, header: new JsonObject { ["alg"] = "RS256", ["typ"] = "JWT", ["kid"] = _idp.KeyId });
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(attack), attack, null);
        }

        var (status, body, cacheControl) = await PostAsync(token);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("\"error\":\"invalid_request\"", body);
        Assert.Equal("no-store", cacheControl);
        Assert.Equal((HttpStatusCode.OK, "victim"), await victim.GetTextAsync("/auth/me"));

        // Refused for the reason the attack is about, not by accident of another check.
        var refusals = _logs.Lines.Where(static l => l.Id.Id == 90).Select(static l => l.Text).ToList();
        Assert.Equal([$"A back-channel logout token was refused: {reason}."], refusals);
    }

    [Fact]
    public async Task MalformedRequests_Get400_NeverAServerError()
    {
        using var victim = await SignInAsync("victim", "sid-victim");
        using var raw = _app.CreateRawClient();
        var valid = _idp.Sign(_idp.LogoutClaims(ClientId, "sid-victim", "victim"));
        HttpContent[] bodies =
        [
            new StringContent("{\"logout_token\":\"" + valid + "\"}", Encoding.UTF8, "application/json"),
            new FormUrlEncodedContent([]),
            new FormUrlEncodedContent([new("logout_token", "")]),
            new FormUrlEncodedContent([new("logout_token", "not a jwt")]),
            new FormUrlEncodedContent([new("logout_token", "a.b.c")]),
            new FormUrlEncodedContent([new("logout_token", "eyJhbGciOiJSUzI1NiJ9.eyJ4Ijp9.AAAA")]),
            new FormUrlEncodedContent([new("logout_token", valid), new("logout_token", valid)]),
            new FormUrlEncodedContent([new("logout_token", new string('a', 40_000))]),
            new StringContent("logout_token=%ZZ%", Encoding.UTF8, "application/x-www-form-urlencoded"),
            new ByteArrayContent(new byte[200_000]) { Headers = { { "Content-Type", "application/x-www-form-urlencoded" } } },
        ];
        foreach (var content in bodies)
        {
            using var response = await raw.PostAsync("/signout-backchannel", content);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        }

        using var get = await raw.GetAsync("/signout-backchannel");
        Assert.True((int)get.StatusCode is >= 400 and < 500, $"GET answered {(int)get.StatusCode}");
        Assert.Equal((HttpStatusCode.OK, "victim"), await victim.GetTextAsync("/auth/me"));
    }

    [Fact]
    public async Task ProviderUnreachable_Answers503RetryLater_NotABadToken()
    {
        using var victim = await SignInAsync("frank", "sid-frank");
        var token = _idp.Sign(_idp.LogoutClaims(ClientId, "sid-frank", "frank"));

        // The provider is down before the app ever read its configuration: the signature cannot be checked.
        await _idp.DisposeAsync();
        using var raw = _app.CreateRawClient();
        using var content = new FormUrlEncodedContent([new("logout_token", token)]);
        using var response = await raw.PostAsync("/signout-backchannel", content);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("\"error\":\"temporarily_unavailable\"", await response.Content.ReadAsStringAsync());
        Assert.Equal((HttpStatusCode.OK, "frank"), await victim.GetTextAsync("/auth/me"));
        _idp = await TestIdentityProvider.StartAsync();
    }

    [Fact]
    public async Task RedisUnreachable_Answers503_AndTheProvidersRetryIsAcceptedOnceItIsBack()
    {
        await using var proxy = new Tessera.TestUtils.FaultProxy(redis.Endpoint);
        await using var app = await StartAppAsync(proxy.Endpoint);
        using var victim = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await victim.PostTextAsync("/test/signin?sub=gina&sid=sid-gina")).Status);
        var token = _idp.Sign(_idp.LogoutClaims(ClientId, "sid-gina", "gina"));

        proxy.Set(Tessera.TestUtils.FaultMode.Reset);
        var (status, body, cacheControl) = await PostAsync(app, token);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("temporarily_unavailable", body);
        Assert.Equal("no-store", cacheControl);

        // The provider sends the same token again once Redis is back: it is not taken for a replay.
        proxy.Set(Tessera.TestUtils.FaultMode.Pass);
        Assert.True(await Eventually.WaitAsync(async () => (await PostAsync(app, token)).Status == HttpStatusCode.OK, TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(250)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await victim.GetTextAsync("/auth/me")).Status);
    }

    [Fact]
    public async Task ProviderSessionIndex_IsOneKeyUnderThePrefix_LivingAsLongAsTheLogin()
    {
        using var laptop = await SignInAsync("erin", "sid-erin");
        var key = _app.Store.Users.IdpSessionKeyFor(_idp.Issuer, "sid-erin");
        Assert.StartsWith(_app.Store.KeyForHandle(string.Empty).ToString(), key.ToString());
        Assert.Equal(1, await redis.Db.SetLengthAsync(key));
        var ttl = await redis.Db.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.True(ttl > TimeSpan.FromDays(13), $"the index lives as long as the login (14 days by default), not {ttl}");
    }

    private Task<TestApp> StartAppAsync(string endpoint) => TestApp.StartAsync(
        endpoint,
        redis.PrefixFor(),
        services: s =>
        {
            s.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
                .AddCookie()
                .AddOpenIdConnect("oidc", o =>
                {
                    o.Authority = _idp.Issuer;
                    o.ClientId = ClientId;
                    o.RequireHttpsMetadata = false;
                });
            s.AddTesseraTicketStore();
            s.AddSingleton<Microsoft.Extensions.Logging.ILoggerProvider>(_logs);
        },
        map: app =>
        {
            CookieLogins.Map(app);
            app.MapPost("/test/signin", async (HttpContext ctx, string sub, string? sid, string? sidType) =>
            {
                // As the OIDC handler signs in: claims issued by the provider, sub mapped to NameIdentifier.
                var claims = new List<Claim>
                {
                    new(ClaimTypes.NameIdentifier, sub, ClaimValueTypes.String, _idp.Issuer),
                    new("sub", sub, ClaimValueTypes.String, _idp.Issuer),
                    new(ClaimTypes.Name, sub, ClaimValueTypes.String, _idp.Issuer),
                };
                if (sid is not null)
                {
                    claims.Add(new Claim(sidType ?? "sid", sid, ClaimValueTypes.String, _idp.Issuer));
                }

                await ctx.SignInAsync(new ClaimsPrincipal(new ClaimsIdentity(claims, "AuthenticationTypes.Federation")));
                return Results.Text("ok");
            });
            app.MapTesseraBackChannelLogout("/signout-backchannel", "oidc");
        });

    private async Task<CookieClient> SignInAsync(string sub, string? sid, string? sidType = null)
    {
        var client = _app.CreateClient();
        var path = $"/test/signin?sub={Uri.EscapeDataString(sub)}" + (sid is null ? string.Empty : $"&sid={Uri.EscapeDataString(sid)}") + (sidType is null ? string.Empty : $"&sidType={Uri.EscapeDataString(sidType)}");
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync(path)).Status);
        Assert.Equal((HttpStatusCode.OK, sub), await client.GetTextAsync("/auth/me"));
        return client;
    }

    private Task<(HttpStatusCode Status, string Body, string? CacheControl)> PostAsync(string token) => PostAsync(_app, token);

    private static async Task<(HttpStatusCode Status, string Body, string? CacheControl)> PostAsync(TestApp app, string token)
    {
        using var raw = app.CreateRawClient();
        using var content = new FormUrlEncodedContent([new("logout_token", token)]);
        using var response = await raw.PostAsync("/signout-backchannel", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.CacheControl?.ToString());
    }

    private static string Hs256(JsonObject claims, byte[] secret)
    {
        static string B64(byte[] b) => Convert.ToBase64String(b).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var input = B64(Encoding.UTF8.GetBytes("{\"alg\":\"HS256\",\"typ\":\"logout+jwt\"}")) + "." + B64(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return input + "." + B64(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(input)));
    }
}
