using Tessera.TestUtils;
using System.Net;

namespace Tessera.Identity.Tests;

/// <summary>
/// The flows of issue 25 on an app shaped like the templates (Identity UI pages on SQLite, MVC with
/// session TempData): a guest's cart survives the login and two-factor pages, a half-finished sign-in is
/// no device and no authentication, and a visitor who stores nothing gets no session.
/// </summary>
public sealed class TemplateFlowTests(RedisServer redis)
{
    public static TheoryData<Wiring> Wirings => [Wiring.TicketStore, Wiring.Identity];

    [Theory]
    [MemberData(nameof(Wirings))]
    public async Task LoginPage_GuestWithCart_KeepsTheCart(Wiring wiring)
    {
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), wiring);
        using var guest = app.CreateBrowser();
        Assert.Equal("1", (await guest.PostAsync("/cart/add?item=book")).Body);

        // The login page signs the external scheme out (Login.cshtml OnGetAsync): not the guest's session.
        Assert.Equal(HttpStatusCode.OK, (await guest.PageAsync(Flows.LoginPage)).Status);

        Assert.Equal("book", (await guest.PageAsync("/cart")).Body);
    }

    [Theory]
    [MemberData(nameof(Wirings))]
    public async Task TwoFactorLogin_PasswordStep_IsNoDeviceNoAuthenticationAndKeepsTheCart(Wiring wiring)
    {
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), wiring);
        var userId = await app.CreateUserAsync("ada@example.com");
        var codes = await app.EnableTwoFactorAsync("ada@example.com");
        using var browser = app.CreateBrowser();
        await browser.PostAsync("/cart/add?item=book");

        var step1 = await Flows.SubmitPasswordAsync(browser, "ada@example.com");
        Assert.Equal(HttpStatusCode.Redirect, step1.Status);
        Assert.StartsWith("/Identity/Account/LoginWith2fa", step1.Location);

        // After the password alone: no login, no device, the session is the guest's still.
        Assert.Empty(await app.Store.Users.GetUserSessionsAsync(TemplateApp.UserKey(userId)));
        var pending = await Flows.SessionOfAsync(app, browser);
        Assert.NotNull(pending);
        Assert.Null(pending.Metadata.UserId);
        Assert.Null(pending.Metadata.AuthenticatedAt);
        Assert.False(await Flows.IsSignedInAsync(browser));
        Assert.Equal(HttpStatusCode.OK, (await browser.PageAsync(step1.Location!)).Status);
        Assert.Equal("book", (await browser.PageAsync("/cart")).Body);

        // The second factor completes the sign-in: now one device, authenticated, the cart carried over.
        var step2 = await Flows.SubmitRecoveryCodeAsync(browser, codes[0]);
        Assert.True(step2.Status == HttpStatusCode.Redirect && step2.Location == "/", $"{(int)step2.Status} {step2.Location}");
        Assert.True(await Flows.IsSignedInAsync(browser));
        Assert.Single(await app.Store.Users.GetUserSessionsAsync(TemplateApp.UserKey(userId)));
        var signedIn = await Flows.SessionOfAsync(app, browser);
        Assert.NotNull(signedIn);
        Assert.Equal(TemplateApp.UserKey(userId), signedIn.Metadata.UserId);
        Assert.NotNull(signedIn.Metadata.AuthenticatedAt);
        Assert.NotEqual(pending.Id, signedIn.Id);
        Assert.Equal("book", (await browser.PageAsync("/cart")).Body);
    }

    [Theory]
    [MemberData(nameof(Wirings))]
    public async Task TwoFactorLogin_ThiefWithThePasswordOnly_CannotEvictTheOwnersLogin(Wiring wiring)
    {
        // One device per user, the oldest evicted: a password step must not count as a login.
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), wiring, o => o.MaxSessionsPerUser = 1);
        await app.CreateUserAsync("ada@example.com");
        var codes = await app.EnableTwoFactorAsync("ada@example.com");
        using var owner = app.CreateBrowser();
        await Flows.SubmitPasswordAsync(owner, "ada@example.com");
        await Flows.SubmitRecoveryCodeAsync(owner, codes[0]);
        Assert.True(await Flows.IsSignedInAsync(owner));

        using var thief = app.CreateBrowser();
        var step1 = await Flows.SubmitPasswordAsync(thief, "ada@example.com");
        Assert.StartsWith("/Identity/Account/LoginWith2fa", step1.Location);

        Assert.True(await Flows.IsSignedInAsync(owner));
        Assert.False(await Flows.IsSignedInAsync(thief));
    }

    [Theory]
    [MemberData(nameof(Wirings))]
    public async Task LoginPage_OverAPlantedLoginCookie_GivesTheVictimANewLogin_AndEndsTheAttackers(Wiring wiring)
    {
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), wiring);
        await app.CreateUserAsync("mallory@example.com");
        var victimId = await app.CreateUserAsync("ada@example.com");
        using var attacker = app.CreateBrowser();
        await Flows.LoginAsync(attacker, "mallory@example.com");

        // Login fixation: only the attacker's application cookie, planted in the victim's browser
        // (its default name has no __Host- prefix, so a sibling subdomain can set it).
        const string loginCookie = ".AspNetCore.Identity.Application";
        var planted = new CookieContainer();
        var plantedValue = attacker.Cookie(loginCookie);
        Assert.NotNull(plantedValue);
        foreach (Cookie cookie in attacker.Cookies.GetAllCookies())
        {
            if (cookie.Name == loginCookie)
            {
                planted.Add(new Cookie(cookie.Name, cookie.Value, cookie.Path, cookie.Domain) { Secure = cookie.Secure, HttpOnly = cookie.HttpOnly });
            }
        }

        using var victim = app.CreateBrowser(planted);
        Assert.True(await Flows.IsSignedInAsync(victim), "the planted cookie is a valid login");
        await Flows.LoginAsync(victim, "ada@example.com");
        Assert.NotEqual(plantedValue, victim.Cookie(loginCookie));

        // The attacker's cookie signs in no one now, the victim's new one is the victim's only device.
        Assert.False(await Flows.IsSignedInAsync(attacker));
        Assert.True(await Flows.IsSignedInAsync(victim));
        Assert.Single(await app.Store.Users.GetUserSessionsAsync(TemplateApp.UserKey(victimId)));
    }

    [Theory]
    [MemberData(nameof(Wirings))]
    public async Task AnonymousVisitor_OnPagesWithEmptyTempData_GetsNoSessionAndNoCookie(Wiring wiring)
    {
        var prefix = redis.PrefixFor();
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, prefix, wiring);
        using var bot = app.CreateBrowser();

        Assert.Equal("welcome", (await bot.PageAsync("/home")).Body);
        Assert.Equal(HttpStatusCode.OK, (await bot.PageAsync(Flows.LoginPage)).Status);

        Assert.Null(bot.Cookie(Flows.SessionCookie(app)));
        Assert.Empty(redis.KeysUnder(prefix));
    }

    [Theory]
    [MemberData(nameof(Wirings))]
    public async Task VisitorWithSession_ReadingEmptyTempData_WritesNothing(Wiring wiring)
    {
        var prefix = redis.PrefixFor();
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, prefix, wiring);
        using var guest = app.CreateBrowser();
        await guest.PostAsync("/cart/add?item=book");

        var commands = await new CommandCounter(redis.Port, prefix).MeasureAsync(async () =>
            Assert.Equal("welcome", (await guest.PageAsync("/home")).Body));

        // One read; no script that writes (a no-op Remove of the absent TempData key is no change).
        Assert.Equal(1, commands.GetValueOrDefault("hgetall"));
        Assert.Equal(0, commands.GetValueOrDefault("evalsha") + commands.GetValueOrDefault("eval"));
    }

    [Theory]
    [MemberData(nameof(Wirings))]
    public async Task FlashMessage_InSessionTempData_IsShownOnce(Wiring wiring)
    {
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), wiring);
        using var browser = app.CreateBrowser();

        var posted = await browser.PostAsync("/home/flash");
        Assert.Equal(HttpStatusCode.Redirect, posted.Status);
        Assert.NotNull(browser.Cookie(Flows.SessionCookie(app)));

        Assert.Equal("saved", (await browser.PageAsync("/home")).Body);
        Assert.Equal("welcome", (await browser.PageAsync("/home")).Body);
    }
}
