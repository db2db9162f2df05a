using System.Net;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Tessera.IntegrationTests;

/// <summary>Cookie authentication with tickets in Redis: revocable logins, and session rotation on sign-in.</summary>
public abstract class TicketStoreBehaviour(ServerFixture server)
{
    protected ServerFixture Server { get; } = server;

    private Task<TestApp> StartAsync(Action<CookieAuthenticationOptions>? cookie = null) => TestApp.StartAsync(
        Server.Endpoint,
        Server.PrefixFor(),
        services: s => CookieLogins.Add(s, cookie),
        map: CookieLogins.Map);

    [Fact]
    public async Task Login_IsStoredServerSide_AndRevokingTheUserEndsIt()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/auth/login?user=margaret")).Status);
        var authCookie = client.Cookie(".AspNetCore.Cookies")!;
        Assert.True(authCookie.Length < 400, "the auth cookie carries only a reference");
        Assert.Equal((HttpStatusCode.OK, "margaret"), await client.GetTextAsync("/auth/me"));

        var logins = await app.Store.Users.GetUserSessionsAsync("margaret");
        Assert.NotEmpty(logins);
        Assert.True(await app.Store.Users.RevokeUserSessionsAsync("margaret") >= 1);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/auth/me")).Status);
    }

    [Fact]
    public async Task CookieSignIn_RotatesTheSessionId_AndBindsItToTheUser()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/set?k=cart&v=book");
        var anonymous = client.Cookie("__Host-Tessera")!;
        await client.PostTextAsync("/auth/login?user=katherine");
        var signedIn = client.Cookie("__Host-Tessera")!;
        Assert.NotEqual(anonymous, signedIn);
        Assert.Equal((HttpStatusCode.OK, "book"), await client.GetTextAsync("/get?k=cart"));
        Assert.Contains(await app.Store.Users.GetUserSessionsAsync("katherine"), s => s.Handle == SessionIds.Handle(signedIn) || s.LinkedHandles.Contains(SessionIds.Handle(signedIn)));
        using var old = app.CreateClient();
        old.SetCookie("__Host-Tessera", anonymous);
        Assert.Equal(HttpStatusCode.NotFound, (await old.GetTextAsync("/get?k=cart")).Status);
    }

    [Fact]
    public async Task RenewedLogin_StaysIndexed_SoRevokeAllStillEndsIt()
    {
        await using var app = await StartAsync(o =>
        {
            // 8 s, not less: under a full suite on Garnet a 4 s login expired before its renewing request ran.
            o.ExpireTimeSpan = TimeSpan.FromSeconds(8);
            o.SlidingExpiration = true;
        });
        using var client = app.CreateClient();
        await client.PostTextAsync("/auth/login?user=grace");
        var issued = client.Cookie(CookieLogins.LoginCookie)!;
        await Task.Delay(4_500);
        // Past half its lifetime: this request renews the ticket (new expiry about 12.5 s after login).
        Assert.Equal((HttpStatusCode.OK, "grace"), await client.GetTextAsync("/auth/me"));
        var renewed = client.Cookie(CookieLogins.LoginCookie)!;
        Assert.NotEqual(issued, renewed);
        // A sliding refresh is no sign-in: the login keeps its key.
        Assert.Equal(CookieLogins.LoginKeyOf(app, issued), CookieLogins.LoginKeyOf(app, renewed));
        await Task.Delay(4_000);
        // Past the first expiry, within the renewed one.
        Assert.Equal((HttpStatusCode.OK, "grace"), await client.GetTextAsync("/auth/me"));
        Assert.True(await app.Store.Users.RevokeUserSessionsAsync("grace") >= 1, "the renewed login must still be in its user's index");
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/auth/me")).Status);
    }

    [Fact]
    public async Task SignInAsAnotherUser_OnTheSameBrowser_EndsThatLogin_AndStartsANewOneForTheOtherUser()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/auth/login?user=mallory");
        var mallorys = CookieLogins.LoginKeyOf(app, client.Cookie(CookieLogins.LoginCookie)!);
        await client.PostTextAsync("/auth/login?user=alice");
        var alices = CookieLogins.LoginKeyOf(app, client.Cookie(CookieLogins.LoginCookie)!);
        Assert.NotEqual(mallorys, alices);
        Assert.Equal((HttpStatusCode.OK, "alice"), await client.GetTextAsync("/auth/me"));
        Assert.NotEqual(LoadStatus.Found, (await app.Store.LoadAsync(mallorys)).Status);
        var tickets = await Server.Db.SortedSetRangeByRankAsync(app.Store.Users.UserKeyFor("mallory"));
        Assert.DoesNotContain(tickets, member => (string?)member == SessionIds.Handle(mallorys));
        foreach (var member in tickets)
        {
            var user = (string?)await Server.Db.HashGetAsync(app.Store.KeyFor((string)member!), "#u");
            Assert.NotEqual("alice", user);
        }

        Assert.True(await app.Store.Users.RevokeUserSessionsAsync("alice") >= 1);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/auth/me")).Status);
    }

    [Fact]
    public async Task SignIn_OverAPlantedLoginCookie_GetsANewLogin_AndThePlantedOneEnds()
    {
        await using var app = await StartAsync();
        using var attacker = app.CreateClient();
        await attacker.PostTextAsync("/auth/login?user=mallory");
        var planted = attacker.Cookie(CookieLogins.LoginCookie)!;
        var plantedKey = CookieLogins.LoginKeyOf(app, planted);

        // Login fixation: the attacker's own valid login cookie in the victim's browser.
        using var victim = app.CreateClient();
        victim.SetCookie(CookieLogins.LoginCookie, planted);
        Assert.Equal((HttpStatusCode.OK, "mallory"), await victim.GetTextAsync("/auth/me"));
        Assert.Equal(HttpStatusCode.OK, (await victim.PostTextAsync("/auth/login?user=alice")).Status);

        var victimsKey = CookieLogins.LoginKeyOf(app, victim.Cookie(CookieLogins.LoginCookie)!);
        Assert.NotEqual(plantedKey, victimsKey);
        Assert.Equal((HttpStatusCode.OK, "alice"), await victim.GetTextAsync("/auth/me"));

        // The attacker's copy authenticates as no one: not as the victim, not as himself.
        Assert.Equal((HttpStatusCode.Unauthorized, "anonymous"), await attacker.GetTextAsync("/auth/me"));
        using var replay = app.CreateClient();
        replay.SetCookie(CookieLogins.LoginCookie, planted);
        Assert.Equal((HttpStatusCode.Unauthorized, "anonymous"), await replay.GetTextAsync("/auth/me"));
        Assert.NotEqual(LoadStatus.Found, (await app.Store.LoadAsync(plantedKey)).Status);
        var plantedHandle = SessionIds.Handle(plantedKey);
        Assert.DoesNotContain(await app.Store.Users.GetUserSessionsAsync("mallory"), s => s.Handle == plantedHandle || s.LinkedHandles.Contains(plantedHandle));
        Assert.Contains(await app.Store.Users.GetUserSessionsAsync("alice"), s => s.Handle == SessionIds.Handle(victimsKey) || s.LinkedHandles.Contains(SessionIds.Handle(victimsKey)));
    }

    [Fact]
    public async Task ReSignIn_EndsALoginCookieCopiedBeforeIt_AndTheUserHasOneLogin()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/auth/login?user=ada");
        var copy = client.Cookie(CookieLogins.LoginCookie)!;

        // The same user authenticates again (step-up, password re-entry) on the same browser.
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/auth/login?user=ada")).Status);
        var current = client.Cookie(CookieLogins.LoginCookie)!;
        var currentKey = CookieLogins.LoginKeyOf(app, current);
        Assert.NotEqual(CookieLogins.LoginKeyOf(app, copy), currentKey);
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/auth/me"));

        using var thief = app.CreateClient();
        thief.SetCookie(CookieLogins.LoginCookie, copy);
        Assert.Equal((HttpStatusCode.Unauthorized, "anonymous"), await thief.GetTextAsync("/auth/me"));

        var device = Assert.Single(await app.Store.Users.GetUserSessionsAsync("ada"));
        var currentHandle = SessionIds.Handle(currentKey);
        Assert.True(device.Handle == currentHandle || device.LinkedHandles.Contains(currentHandle), "the one device listed is the new login");
        Assert.Equal((HttpStatusCode.OK, "ada"), await client.GetTextAsync("/auth/me"));
    }

    [Fact]
    public async Task SignIn_WithARevokedLoginCookie_StoresANewLogin()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/auth/login?user=hedy");
        var revoked = CookieLogins.LoginKeyOf(app, client.Cookie(CookieLogins.LoginCookie)!);
        Assert.True(await app.Store.Users.RevokeByHandleAsync(SessionIds.Handle(revoked)));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetTextAsync("/auth/me")).Status);

        // The browser still sends the dead cookie: the handler finds no login and stores a new one.
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/auth/login?user=hedy")).Status);
        var fresh = CookieLogins.LoginKeyOf(app, client.Cookie(CookieLogins.LoginCookie)!);
        Assert.NotEqual(revoked, fresh);
        Assert.Equal((HttpStatusCode.OK, "hedy"), await client.GetTextAsync("/auth/me"));
        Assert.Contains(await app.Store.Users.GetUserSessionsAsync("hedy"), s => s.Handle == SessionIds.Handle(fresh) || s.LinkedHandles.Contains(SessionIds.Handle(fresh)));
    }

    [Fact]
    public async Task CookieSignOut_EndsTheSession_SoTheNextUserGetsNothingOfThePrevious()
    {
        await using var app = await StartAsync();
        using var client = app.CreateClient();
        await client.PostTextAsync("/auth/login?user=alice");
        await client.PostTextAsync("/set?k=cart&v=alices-book");
        var aliceSession = client.Cookie("__Host-Tessera")!;
        Assert.Equal(HttpStatusCode.OK, (await client.PostTextAsync("/auth/logout")).Status);
        Assert.NotEqual(LoadStatus.Found, (await app.Store.LoadAsync(aliceSession)).Status);
        Assert.Empty(await app.Store.Users.GetUserSessionsAsync("alice"));

        await client.PostTextAsync("/auth/login?user=bob");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetTextAsync("/get?k=cart")).Status);
        Assert.Equal((HttpStatusCode.OK, "bob"), await client.GetTextAsync("/auth/me"));
    }
}

public sealed class RedisTicketStoreTests(RedisFixture server) : TicketStoreBehaviour(server);

public sealed class GarnetTicketStoreTests(GarnetFixture server) : TicketStoreBehaviour(server);
