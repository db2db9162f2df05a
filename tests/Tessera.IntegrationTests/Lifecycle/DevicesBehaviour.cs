using System.Net;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Tessera.AspNetCore;

namespace Tessera.IntegrationTests;

/// <summary>
/// Logins and devices (issue 14): a browser's login and session are one device, "log out my other
/// devices" keeps this one, a device is revoked by its handle only by its own user, logins of one
/// subject from two issuers are two users, the per-user limit holds under races, device records,
/// step-up, erase and export. From the user's and the attacker's side, over HTTP.
/// </summary>
public abstract class DevicesBehaviour(ServerFixture server)
{
    private const string Auth = ".AspNetCore.Cookies";

    protected ServerFixture Server { get; } = server;

    private Task<TestApp> StartAsync(Action<TesseraSessionOptions>? configure = null, TimeSpan? stepUp = null, Action<CookieAuthenticationOptions>? cookie = null, [System.Runtime.CompilerServices.CallerMemberName] string caller = "") => TestApp.StartAsync(
        Server.Endpoint,
        Server.PrefixFor(caller),
        configure,
        services: s => CookieLogins.Add(s, cookie),
        map: app =>
        {
            CookieLogins.Map(app);
            app.MapGet("/my/devices", async (HttpContext ctx) =>
            {
                var session = (ITesseraSession)ctx.Session;
                var devices = await session.GetUserSessionsAsync();
                return Results.Text(string.Join('\n', devices.Select(d => $"{d.Handle} {(d.IsCurrent ? "current" : "other")} {d.LinkedHandles.Count}")));
            });
            app.MapPost("/my/devices/others", async Task<IResult> (HttpContext ctx) =>
                Results.Text((await ((ITesseraSession)ctx.Session).RevokeOtherSessionsAsync()).ToString(System.Globalization.CultureInfo.InvariantCulture)));
            app.MapPost("/my/devices/revoke", async (HttpContext ctx, string handle) =>
                await ((ITesseraSession)ctx.Session).RevokeDeviceAsync(handle) ? Results.Text("revoked") : Results.Text("not yours", statusCode: 404));
            app.MapPost("/remember", (HttpContext ctx) =>
            {
                ((ITesseraSession)ctx.Session).SetTimeouts(absoluteTimeout: TimeSpan.FromDays(30));
                return Results.Text("remembered");
            });
            app.MapGet("/sensitive", (HttpContext ctx) => Results.Text("recovery codes of " + ctx.User.Identity?.Name)).RequireRecentAuthentication(stepUp ?? TimeSpan.FromMinutes(5));
        });

    private static async Task<CookieClient> SignedInAsync(TestApp app, string user, string? cart = null, string? issuer = null)
    {
        var client = app.CreateClient();
        if (cart is not null)
        {
            await client.PostTextAsync($"/set?k=cart&v={cart}");
        }

        var query = issuer is null ? $"/auth/login?user={user}" : $"/auth/login?user={user}&issuer={Uri.EscapeDataString(issuer)}";
        Assert.Equal((HttpStatusCode.OK, "ok"), await client.PostTextAsync(query));
        return client;
    }

    private static async Task<string[]> DevicesAsync(CookieClient client)
    {
        var (status, body) = await client.GetTextAsync("/my/devices");
        Assert.Equal(HttpStatusCode.OK, status);
        return body.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task OneBrowser_IsOneDevice_ItsLoginAndSessionListedOnceAndMarkedCurrent()
    {
        await using var app = await StartAsync();
        using var browser = await SignedInAsync(app, "ada", cart: "book");
        var devices = await DevicesAsync(browser);
        var device = Assert.Single(devices);
        Assert.EndsWith("current 1", device);

        var listed = Assert.Single(await app.Store.Users.GetUserSessionsAsync("ada"));
        Assert.Contains(SessionIds.Handle(browser.Cookie("__Host-Tessera")!), listed.LinkedHandles);
        Assert.NotNull(listed.Metadata.AuthenticatedAt);
        // The handle is the login's: it opens nothing as a cookie.
        using var thief = app.CreateClient();
        thief.SetCookie("__Host-Tessera", listed.Handle);
        Assert.Equal(HttpStatusCode.NotFound, (await thief.GetTextAsync("/get?k=cart")).Status);
    }

    [Fact]
    public async Task LogOutOtherDevices_EndsTheOtherBrowser_AndKeepsThisDevicesLoginAndSession()
    {
        await using var app = await StartAsync();
        using var laptop = await SignedInAsync(app, "grace", cart: "laptop-cart");
        using var phone = await SignedInAsync(app, "grace", cart: "phone-cart");
        Assert.Equal(2, (await DevicesAsync(laptop)).Length);

        Assert.Equal((HttpStatusCode.OK, "2"), await laptop.PostTextAsync("/my/devices/others"));

        Assert.Equal((HttpStatusCode.OK, "grace"), await laptop.GetTextAsync("/auth/me"));
        Assert.Equal((HttpStatusCode.OK, "laptop-cart"), await laptop.GetTextAsync("/get?k=cart"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.GetTextAsync("/auth/me")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await phone.GetTextAsync("/get?k=cart")).Status);
        Assert.EndsWith("current 1", Assert.Single(await DevicesAsync(laptop)));
    }

    [Fact]
    public async Task RevokeDeviceByHandle_EndsItsLoginAndSession_ButNeverAnotherUsersDevice()
    {
        await using var app = await StartAsync();
        using var laptop = await SignedInAsync(app, "hedy", cart: "a");
        using var phone = await SignedInAsync(app, "hedy", cart: "b");
        using var mallory = await SignedInAsync(app, "mallory");
        var phoneDevice = (await DevicesAsync(laptop)).Single(d => d.Contains(" other ", StringComparison.Ordinal)).Split(' ')[0];

        // Another user posting the handle (seen in a screenshot, a log, a support ticket) does nothing.
        Assert.Equal(HttpStatusCode.NotFound, (await mallory.PostTextAsync($"/my/devices/revoke?handle={phoneDevice}")).Status);
        Assert.Equal((HttpStatusCode.OK, "hedy"), await phone.GetTextAsync("/auth/me"));
        Assert.Equal(HttpStatusCode.NotFound, (await laptop.PostTextAsync("/my/devices/revoke?handle=not-a-handle")).Status);

        Assert.Equal((HttpStatusCode.OK, "revoked"), await laptop.PostTextAsync($"/my/devices/revoke?handle={phoneDevice}"));
        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.GetTextAsync("/auth/me")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await phone.GetTextAsync("/get?k=cart")).Status);
        Assert.Equal((HttpStatusCode.OK, "hedy"), await laptop.GetTextAsync("/auth/me"));
    }

    [Fact]
    public async Task OneSubjectFromTwoIssuers_IsTwoUsers_SoOnesLogOutOthersLeavesTheOther()
    {
        await using var app = await StartAsync();
        using var google = await SignedInAsync(app, "12345", issuer: "https://accounts.google.com");
        using var entra = await SignedInAsync(app, "12345", issuer: "https://login.microsoftonline.com/tenant/v2.0");
        // A local user whose name spells an issuer-qualified key is a third user, not the first.
        using var local = await SignedInAsync(app, "https://accounts.google.com|12345");

        Assert.Equal((HttpStatusCode.OK, "0"), await google.PostTextAsync("/my/devices/others"));
        Assert.Equal((HttpStatusCode.OK, "0"), await local.PostTextAsync("/my/devices/others"));
        Assert.Equal(HttpStatusCode.OK, (await entra.GetTextAsync("/auth/me")).Status);
        Assert.Equal(HttpStatusCode.OK, (await google.GetTextAsync("/auth/me")).Status);
        Assert.Single(await DevicesAsync(google));
        Assert.Single(await app.Store.Users.GetUserSessionsAsync("https://accounts.google.com|12345"));
        Assert.Single(await app.Store.Users.GetUserSessionsAsync("https://accounts.google.com%7C12345"));
    }

    [Fact]
    public async Task DenyNew_RefusesTheSignInPastTheLimit_AndLeavesNothingBound()
    {
        await using var app = await StartAsync(o =>
        {
            o.MaxSessionsPerUser = 2;
            o.SessionLimitPolicy = SessionLimitPolicy.DenyNew;
        });
        using var first = await SignedInAsync(app, "linus");
        using var second = await SignedInAsync(app, "linus");
        using var third = app.CreateClient();
        await third.PostTextAsync("/set?k=cart&v=kept");
        var (status, body) = await third.PostTextAsync("/auth/login?user=linus");

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("MaxSessionsPerUser", body);
        Assert.Equal(HttpStatusCode.Unauthorized, (await third.GetTextAsync("/auth/me")).Status);
        Assert.Equal(2, (await app.Store.Users.GetUserSessionsAsync("linus")).Count);
        Assert.Equal(HttpStatusCode.OK, (await first.GetTextAsync("/auth/me")).Status);
        Assert.Equal(HttpStatusCode.OK, (await second.GetTextAsync("/auth/me")).Status);
        // Nothing of the refused sign-in is bound to the user: its session is anonymous or gone.
        foreach (var member in await Server.Db.SortedSetRangeByRankAsync(app.Store.Users.UserKeyFor("linus")))
        {
            var handle = ((string)member!).TrimStart('~');
            Assert.NotEqual(SessionIds.Handle(third.Cookie("__Host-Tessera") ?? SessionIds.NewId()), handle);
        }

        // Revoking a device makes room.
        Assert.True(await app.Store.Users.RevokeByHandleAsync((await app.Store.Users.GetUserSessionsAsync("linus"))[0].Handle));
        Assert.Equal((HttpStatusCode.OK, "ok"), await third.PostTextAsync("/auth/login?user=linus"));
    }

    [Fact]
    public async Task EvictOldest_RevokesTheOldestDevice_WhenTheLimitIsPassed()
    {
        await using var app = await StartAsync(o =>
        {
            o.MaxSessionsPerUser = 2;
            o.SessionLimitPolicy = SessionLimitPolicy.EvictOldest;
        });
        using var oldest = await SignedInAsync(app, "barbara", cart: "old");
        await Task.Delay(20);
        using var middle = await SignedInAsync(app, "barbara");
        await Task.Delay(20);
        using var newest = await SignedInAsync(app, "barbara");

        Assert.Equal(HttpStatusCode.Unauthorized, (await oldest.GetTextAsync("/auth/me")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await oldest.GetTextAsync("/get?k=cart")).Status);
        Assert.Equal(HttpStatusCode.OK, (await middle.GetTextAsync("/auth/me")).Status);
        Assert.Equal(HttpStatusCode.OK, (await newest.GetTextAsync("/auth/me")).Status);
        Assert.Equal(2, (await app.Store.Users.GetUserSessionsAsync("barbara")).Count);
    }

    [Fact]
    public async Task SessionOnlySignIns_CountAsDevices_AndARotationOrReSignInIsNotANewOne()
    {
        // No ticket store: each signed-in session is a device.
        await using var app = await TestApp.StartAsync(Server.Endpoint, Server.PrefixFor(), o =>
        {
            o.MaxSessionsPerUser = 1;
            o.SessionLimitPolicy = SessionLimitPolicy.DenyNew;
        });
        using var first = app.CreateClient();
        Assert.Equal((HttpStatusCode.OK, "signed in"), await first.PostTextAsync("/signin?user=edsger"));
        Assert.Equal((HttpStatusCode.OK, "rotated"), await first.PostTextAsync("/rotate"));
        Assert.Equal((HttpStatusCode.OK, "signed in"), await first.PostTextAsync("/signin?user=edsger"));
        Assert.Equal((HttpStatusCode.OK, "edsger"), await first.GetTextAsync("/get?k=username"));

        using var second = app.CreateClient();
        await second.PostTextAsync("/set?k=cart&v=kept");
        var (status, body) = await second.PostTextAsync("/signin?user=edsger");
        // Uncaught by the app: a problem response naming the limit, never a 500.
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Contains("MaxSessionsPerUser", body);
        Assert.Equal(HttpStatusCode.NotFound, (await second.GetTextAsync("/get?k=username")).Status);
        Assert.Equal((HttpStatusCode.OK, "kept"), await second.GetTextAsync("/get?k=cart"));
        var device = Assert.Single(await app.Store.Users.GetUserSessionsAsync("edsger"));
        Assert.Equal(SessionIds.Handle(first.Cookie("__Host-Tessera")!), device.Handle);
    }

    [Fact]
    public async Task TheIndex_AgreesWithItsSessions_ThroughRememberMeRenewalRotationAndReSignIn()
    {
        await using var app = await StartAsync(cookie: o =>
        {
            o.ExpireTimeSpan = TimeSpan.FromSeconds(10);
            o.SlidingExpiration = true;
        });
        using var browser = await SignedInAsync(app, "alan", cart: "c");
        var signedIn = System.Diagnostics.Stopwatch.StartNew();
        await AssertIndexAgreesAsync(app, "alan", devices: 1);

        Assert.Equal((HttpStatusCode.OK, "remembered"), await browser.PostTextAsync("/remember"));
        await AssertIndexAgreesAsync(app, "alan", devices: 1);

        // Past half the login's lifetime (and well within it, however slow the steps above were): this request renews the ticket.
        await Task.Delay(TimeSpan.FromSeconds(5.5) - signedIn.Elapsed is { Ticks: > 0 } wait ? wait : TimeSpan.Zero);
        Assert.Equal((HttpStatusCode.OK, "alan"), await browser.GetTextAsync("/auth/me"));
        await AssertIndexAgreesAsync(app, "alan", devices: 1);

        Assert.Equal((HttpStatusCode.OK, "rotated"), await browser.PostTextAsync("/rotate"));
        await AssertIndexAgreesAsync(app, "alan", devices: 1);

        Assert.Equal((HttpStatusCode.OK, "ok"), await browser.PostTextAsync("/auth/login?user=alan"));
        await AssertIndexAgreesAsync(app, "alan", devices: 1);

        // Another user on the same browser: alan's index empties, and joan's agrees.
        Assert.Equal((HttpStatusCode.OK, "ok"), await browser.PostTextAsync("/auth/login?user=joan"));
        await AssertIndexAgreesAsync(app, "alan", devices: 0);
        await AssertIndexAgreesAsync(app, "joan", devices: 1);
    }

    /// <summary>Every index member names a live session of the user whose deadline is its score; companions name their login.</summary>
    private async Task AssertIndexAgreesAsync(TestApp app, string user, int devices)
    {
        var members = await Server.Db.SortedSetRangeByRankWithScoresAsync(app.Store.Users.UserKeyFor(user));
        foreach (var member in members)
        {
            var text = (string)member.Element!;
            var handle = text.TrimStart('~');
            var fields = await Server.Db.HashGetAsync(app.Store.KeyForHandle(handle), ["#u", "#d", "#ln", "#r"]);
            if (!fields[3].IsNull)
            {
                continue; // a tombstone within its grace period: listings skip it, its expiry drops it
            }

            Assert.Equal(user, (string?)fields[0]);
            Assert.Equal((long)member.Score, (long)fields[1]);
            Assert.Equal(text.StartsWith('~'), !fields[2].IsNull);
        }

        Assert.Equal(devices, (await app.Store.Users.GetUserSessionsAsync(user)).Count);
    }

    [Fact]
    public async Task ByDefault_ABotsSignIns_AreBounded_SoADevicesPageStaysCheap()
    {
        var store = Server.CreateStore();
        for (var n = 0; n < TesseraDefaults.MaxSessionsPerUser + 20; n++)
        {
            Assert.Equal(CommitStatus.Committed, (await store.CreateAsync(SessionIds.NewId(), new SessionChanges(), new SessionWrite { UserId = "bot" })).Status);
        }

        // EvictOldest by default: the newest sign-ins win, and the index never passes the limit.
        Assert.Equal(TesseraDefaults.MaxSessionsPerUser, await Server.Db.SortedSetLengthAsync(store.Users.UserKeyFor("bot")));
        Assert.Equal(TesseraDefaults.MaxSessionsPerUser, (await store.Users.GetUserSessionsPageAsync("bot", 0, 10)).Total);
    }

    [Fact]
    public async Task RevokeByHandle_OfAKeyThatIsNoSession_SaysNo_AndLeavesItAlone()
    {
        var store = Server.CreateStore();
        var handle = SessionIds.Handle(SessionIds.NewId());
        await Server.Db.StringSetAsync(store.KeyForHandle(handle), "someone else's data");

        Assert.False(await store.Users.RevokeByHandleAsync(handle));
        Assert.False(await store.Users.RevokeByHandleAsync(SessionIds.Handle(SessionIds.NewId())));
        Assert.Equal("someone else's data", (string?)await Server.Db.StringGetAsync(store.KeyForHandle(handle)));
    }

    [Fact]
    public async Task TheLimit_HoldsUnderRacingSignIns()
    {
        var store = Server.CreateStore(o =>
        {
            o.MaxSessionsPerUser = 5;
            o.SessionLimitPolicy = SessionLimitPolicy.DenyNew;
        });
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 40).Select(async _ =>
        {
            try
            {
                var result = await store.CreateAsync(SessionIds.NewId(), new SessionChanges(), new SessionWrite { UserId = "race" });
                return result.Status == CommitStatus.Committed;
            }
            catch (SessionLimitException)
            {
                return false;
            }
        }));

        Assert.Equal(5, outcomes.Count(ok => ok));
        Assert.Equal(5, (await store.Users.GetUserSessionsAsync("race")).Count);
        Assert.Equal(5, await Server.Db.SortedSetLengthAsync(store.Users.UserKeyFor("race")));
    }

    [Fact]
    public async Task DeviceRecord_HasFirstAndLastClient_AuthenticatedAt_AndIsPaged()
    {
        await using var app = await StartAsync(o => o.IdleTimeout = TimeSpan.FromSeconds(4));
        using var browser = app.CreateClient();
        browser.Http.DefaultRequestHeaders.UserAgent.ParseAdd("FirstBrowser/1.0");
        Assert.Equal((HttpStatusCode.OK, "ok"), await browser.PostTextAsync("/auth/login?user=margaret"));
        browser.Http.DefaultRequestHeaders.UserAgent.Clear();
        browser.Http.DefaultRequestHeaders.UserAgent.ParseAdd("LaterBrowser/2.0");

        // Past the refresh granularity (a twentieth of 4 s): this read refreshes, and records the client.
        await Task.Delay(400);
        await browser.GetTextAsync("/auth/me");
        await browser.GetTextAsync("/get?k=x");
        Assert.True(await Eventually.WaitAsync(
            async () => (await app.Store.Users.GetUserSessionsAsync("margaret")).Single().Metadata.LastUserAgent == "LaterBrowser/2.0",
            TimeSpan.FromSeconds(3)), "the refresh records the client last seen");
        var device = Assert.Single(await app.Store.Users.GetUserSessionsAsync("margaret"));
        Assert.Equal("FirstBrowser/1.0", device.Metadata.UserAgent);
        Assert.NotNull(device.Metadata.AuthenticatedAt);
        Assert.True(device.Metadata.AuthenticatedAt <= device.Metadata.LastAccess);

        using var other = await SignedInAsync(app, "margaret");
        using var third = await SignedInAsync(app, "margaret");
        var page = await app.Store.Users.GetUserSessionsPageAsync("margaret", 1, 1);
        Assert.Equal(3, page.Total);
        Assert.Single(page.Devices);
    }

    [Fact]
    public async Task StepUp_ChallengesAnOldAuthentication_AndPassesAfterSigningInAgain()
    {
        await using var app = await StartAsync(stepUp: TimeSpan.FromSeconds(1.5));
        using var browser = await SignedInAsync(app, "frances");
        Assert.Equal((HttpStatusCode.OK, "recovery codes of frances"), await browser.GetTextAsync("/sensitive"));

        await Task.Delay(2_000);
        CookieLogins.AssertStepUpChallenge(await browser.GetAsync("/sensitive"), "/sensitive", "authentication-too-old");

        // Signing in again on the same browser is a re-authentication (the login is renewed, not a new device).
        Assert.Equal((HttpStatusCode.OK, "ok"), await browser.PostTextAsync("/auth/login?user=frances"));
        Assert.Equal((HttpStatusCode.OK, "recovery codes of frances"), await browser.GetTextAsync("/sensitive"));
        Assert.Single(await app.Store.Users.GetUserSessionsAsync("frances"));

        using var anonymous = app.CreateClient();
        CookieLogins.AssertStepUpChallenge(await anonymous.GetAsync("/sensitive"), "/sensitive", "not-authenticated");
    }

    [Fact]
    public async Task StepUp_AnOldLoginCookie_SentWithAnotherAccountsFreshSession_IsStillChallenged()
    {
        await using var app = await StartAsync(stepUp: TimeSpan.FromSeconds(1.5));
        using var victim = await SignedInAsync(app, "bob");
        await Task.Delay(2_000);
        using var attacker = await SignedInAsync(app, "mallory");
        Assert.Equal((HttpStatusCode.OK, "recovery codes of mallory"), await attacker.GetTextAsync("/sensitive"));

        // bob's stolen login cookie, too old for the step-up, beside the session cookie of the
        // attacker's own fresh login: the session's time is mallory's and must not vouch for bob.
        using var mixed = app.CreateClient();
        mixed.SetCookie(Auth, victim.Cookie(Auth)!);
        mixed.SetCookie("__Host-Tessera", attacker.Cookie("__Host-Tessera")!);
        Assert.Equal((HttpStatusCode.OK, "bob"), await mixed.GetTextAsync("/auth/me"));
        CookieLogins.AssertStepUpChallenge(await mixed.GetAsync("/sensitive"), "/sensitive", "authentication-too-old");
    }

    [Fact]
    public async Task EraseAndExport_CoverEveryLoginAndSessionOfTheUser()
    {
        await using var app = await StartAsync();
        using var laptop = await SignedInAsync(app, "rosalind", cart: "dna");
        using var phone = await SignedInAsync(app, "rosalind");

        var export = await new Tessera.Admin.UserData(app.Store).ExportAsync("rosalind");
        Assert.Equal(2, export.Devices.Count);
        Assert.Equal(4, export.Sessions.Count);
        Assert.Contains(export.Sessions, s => s.Values.TryGetValue("cart", out var v) && System.Text.Encoding.UTF8.GetString(v) == "dna");
        Assert.All(export.Sessions, s => Assert.Equal("rosalind", s.Metadata.UserId));

        Assert.Equal(4, await new Tessera.Admin.UserData(app.Store).EraseAsync("rosalind"));
        Assert.False(await Server.Db.KeyExistsAsync(app.Store.Users.UserKeyFor("rosalind")));
        Assert.All(export.Sessions, s => Assert.False(Server.Db.KeyExists(app.Store.KeyForHandle(s.Handle))));
        Assert.Equal(HttpStatusCode.Unauthorized, (await laptop.GetTextAsync("/auth/me")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await laptop.GetTextAsync("/get?k=cart")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await phone.GetTextAsync("/auth/me")).Status);
        Assert.Empty((await new Tessera.Admin.UserData(app.Store).ExportAsync("rosalind")).Sessions);
    }

    [Fact]
    public async Task RotatingTheSession_KeepsItPartOfItsDevice()
    {
        await using var app = await StartAsync();
        using var browser = await SignedInAsync(app, "karen");
        var before = browser.Cookie("__Host-Tessera");
        await browser.PostTextAsync("/rotate");
        Assert.NotEqual(before, browser.Cookie("__Host-Tessera"));
        var device = Assert.Single(await app.Store.Users.GetUserSessionsAsync("karen"));
        Assert.Contains(SessionIds.Handle(browser.Cookie("__Host-Tessera")!), device.LinkedHandles);
        Assert.Equal((HttpStatusCode.OK, "0"), await browser.PostTextAsync("/my/devices/others"));
        Assert.Equal(HttpStatusCode.OK, (await browser.GetTextAsync("/auth/me")).Status);
    }
}

public sealed class RedisDevicesTests(RedisFixture server) : DevicesBehaviour(server);

public sealed class GarnetDevicesTests(GarnetFixture server) : DevicesBehaviour(server);
