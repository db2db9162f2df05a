using System.Net;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace Tessera.Identity.Tests;

/// <summary>
/// Identity's own account events end sessions at once with <c>AddTesseraIdentity()</c>, from the side of
/// whoever holds another device's cookies: a password change, an authenticator reset, a password reset
/// by e-mail, an administrator's lockout or security-stamp update, a deleted account, and a logout.
/// </summary>
public sealed class IdentityEventsTests(RedisServer redis)
{
    private const string Email = "ada@example.com";

    [Fact]
    public async Task PasswordChange_LogsOutTheOtherDevicesAtOnce_KeepsTheOneThatChangedIt()
    {
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), Wiring.Identity);
        var userId = await app.CreateUserAsync(Email);
        using var laptop = app.CreateBrowser();
        using var stolenPhone = app.CreateBrowser();
        await Flows.LoginAsync(laptop, Email);
        await laptop.PostAsync("/cart/add?item=book");
        await Flows.LoginAsync(stolenPhone, Email);
        await stolenPhone.PostAsync("/cart/add?item=phone");
        Assert.Equal(2, (await app.Store.Users.GetUserSessionsAsync(TemplateApp.UserKey(userId))).Count);

        var changed = await Flows.ChangePasswordAsync(laptop, "N3w-passw0rd!long");
        Assert.Equal(HttpStatusCode.Redirect, changed.Status);

        // At once: no security-stamp validation interval to wait for.
        Assert.False(await Flows.IsSignedInAsync(stolenPhone));
        Assert.Equal(string.Empty, (await stolenPhone.PageAsync("/cart")).Body);
        Assert.True(await Flows.IsSignedInAsync(laptop));
        Assert.Equal("book", (await laptop.PageAsync("/cart")).Body);
        Assert.Single(await app.Store.Users.GetUserSessionsAsync(TemplateApp.UserKey(userId)));
    }

    [Fact]
    public async Task CopiedCookies_AfterLogout_AreRefused()
    {
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), Wiring.Identity);
        await app.CreateUserAsync(Email);
        using var owner = app.CreateBrowser();
        await Flows.LoginAsync(owner, Email);
        await owner.PostAsync("/cart/add?item=book");
        using var thief = app.CreateBrowser(owner.CopyCookies());
        Assert.True(await Flows.IsSignedInAsync(thief));

        var logout = await Flows.LogoutAsync(owner);
        Assert.Equal(HttpStatusCode.Redirect, logout.Status);

        Assert.False(await Flows.IsSignedInAsync(thief));
        Assert.Equal(string.Empty, (await thief.PageAsync("/cart")).Body);
        Assert.False(await Flows.IsSignedInAsync(owner));
    }

    [Fact]
    public async Task AuthenticatorReset_LogsOutTheOtherDevices()
    {
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), Wiring.Identity);
        await app.CreateUserAsync(Email);
        using var laptop = app.CreateBrowser();
        using var other = app.CreateBrowser();
        await Flows.LoginAsync(laptop, Email);
        await Flows.LoginAsync(other, Email);

        var reset = await laptop.SubmitAsync(Flows.ManagePage + "/ResetAuthenticator", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.Redirect, reset.Status);

        Assert.False(await Flows.IsSignedInAsync(other));
        Assert.True(await Flows.IsSignedInAsync(laptop));
    }

    [Fact]
    public async Task PasswordResetByEmailLink_EndsEverySession_AndTheNewPasswordLogsIn()
    {
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), Wiring.Identity);
        await app.CreateUserAsync(Email);
        using var thief = app.CreateBrowser();
        await Flows.LoginAsync(thief, Email);
        string token = null!;
        await app.WithUsersAsync(async users => token = await users.GeneratePasswordResetTokenAsync((await users.FindByEmailAsync(Email))!));

        // The owner follows the e-mailed link, signed out, in another browser.
        using var owner = app.CreateBrowser();
        var code = WebEncoders.Base64UrlEncode(Encoding.UTF8.GetBytes(token));
        var reset = await owner.SubmitAsync("/Identity/Account/ResetPassword?code=" + code, new Dictionary<string, string>
        {
            ["Input.Email"] = Email,
            ["Input.Password"] = "N3w-passw0rd!long",
            ["Input.ConfirmPassword"] = "N3w-passw0rd!long",
            ["Input.Code"] = token,
        });
        Assert.True(reset.Status == HttpStatusCode.Redirect && reset.Location!.Contains("ResetPasswordConfirmation", StringComparison.Ordinal), $"{(int)reset.Status} {reset.Location}");

        Assert.False(await Flows.IsSignedInAsync(thief));
        var login = await Flows.SubmitPasswordAsync(owner, Email, "N3w-passw0rd!long");
        Assert.True(login.Status == HttpStatusCode.Redirect && login.Location == "/", $"{(int)login.Status} {login.Location}");
        Assert.True(await Flows.IsSignedInAsync(owner));
    }

    [Fact]
    public async Task AdministratorLocksTheAccount_EveryDeviceIsLoggedOut()
    {
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), Wiring.Identity);
        var userId = await app.CreateUserAsync(Email);
        using var a = app.CreateBrowser();
        using var b = app.CreateBrowser();
        await Flows.LoginAsync(a, Email);
        await Flows.LoginAsync(b, Email);

        await app.WithUsersAsync(async users =>
            Assert.True((await users.SetLockoutEndDateAsync((await users.FindByIdAsync(userId))!, DateTimeOffset.MaxValue)).Succeeded));

        Assert.False(await Flows.IsSignedInAsync(a));
        Assert.False(await Flows.IsSignedInAsync(b));
        Assert.Empty(await app.Store.Users.GetUserSessionsAsync(TemplateApp.UserKey(userId)));
    }

    [Fact]
    public async Task AdministratorUpdatesTheSecurityStamp_EveryDeviceIsLoggedOut()
    {
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), Wiring.Identity);
        var userId = await app.CreateUserAsync(Email);
        using var a = app.CreateBrowser();
        await Flows.LoginAsync(a, Email);

        await app.WithUsersAsync(async users => await users.UpdateSecurityStampAsync((await users.FindByIdAsync(userId))!));

        Assert.False(await Flows.IsSignedInAsync(a));
    }

    [Fact]
    public async Task DeletedAccount_EveryDeviceIsLoggedOut()
    {
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), Wiring.Identity);
        var userId = await app.CreateUserAsync(Email);
        using var laptop = app.CreateBrowser();
        using var other = app.CreateBrowser();
        await Flows.LoginAsync(laptop, Email);
        await Flows.LoginAsync(other, Email);

        var deleted = await laptop.SubmitAsync(Flows.ManagePage + "/DeletePersonalData", new Dictionary<string, string> { ["Input.Password"] = TemplateApp.Password });
        Assert.Equal(HttpStatusCode.Redirect, deleted.Status);

        Assert.False(await Flows.IsSignedInAsync(other));
        Assert.False(await Flows.IsSignedInAsync(laptop));
        Assert.Empty(await app.Store.Users.GetUserSessionsAsync(TemplateApp.UserKey(userId)));
    }

    [Fact]
    public async Task WrongPasswordsUntilLockout_DoNotLogTheOwnerOut()
    {
        // Else anyone who knows a user's e-mail could log that user out of every device.
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), Wiring.Identity);
        var userId = await app.CreateUserAsync(Email);
        using var owner = app.CreateBrowser();
        await Flows.LoginAsync(owner, Email);

        // What PasswordSignInAsync(..., lockoutOnFailure: true) does on each wrong password.
        await app.WithUsersAsync(async users =>
        {
            var user = (await users.FindByIdAsync(userId))!;
            for (var n = 0; n < 5; n++)
            {
                await users.AccessFailedAsync(user);
            }

            Assert.True(await users.IsLockedOutAsync(user));
        });

        Assert.True(await Flows.IsSignedInAsync(owner));
    }

    [Fact]
    public async Task ProfileChangeWithoutNewStamp_KeepsTheOtherDevices()
    {
        // Confirming an e-mail or a failed-login counter do not change the stamp: nobody is logged out.
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), Wiring.Identity);
        var userId = await app.CreateUserAsync(Email);
        using var a = app.CreateBrowser();
        using var b = app.CreateBrowser();
        await Flows.LoginAsync(a, Email);
        await Flows.LoginAsync(b, Email);

        await app.WithUsersAsync(async users =>
        {
            var user = (await users.FindByIdAsync(userId))!;
            await users.ResetAccessFailedCountAsync(user);
            await users.SetLockoutEnabledAsync(user, true);
        });

        Assert.True(await Flows.IsSignedInAsync(a));
        Assert.True(await Flows.IsSignedInAsync(b));
        Assert.Equal(2, (await app.Store.Users.GetUserSessionsAsync(TemplateApp.UserKey(userId))).Count);
    }

    [Fact]
    public async Task LoginThatUpgradesThePasswordHash_KeepsTheGuestsCart()
    {
        // An old hash (fewer PBKDF2 iterations) is rehashed at login, which gives a new stamp as a side
        // effect: the same password, no security change, and the login under way keeps its session.
        await using var app = await TemplateApp.StartAsync(redis.Endpoint, redis.PrefixFor(), Wiring.Identity);
        var userId = await app.CreateUserAsync(Email);
        await app.WithUsersAsync(async users =>
        {
            var user = (await users.FindByIdAsync(userId))!;
            user.PasswordHash = new Microsoft.AspNetCore.Identity.PasswordHasher<Microsoft.AspNetCore.Identity.IdentityUser>(
                Microsoft.Extensions.Options.Options.Create(new Microsoft.AspNetCore.Identity.PasswordHasherOptions { IterationCount = 1000 })).HashPassword(user, TemplateApp.Password);
            Assert.True((await users.UpdateAsync(user)).Succeeded);
        });
        string? hashBefore = null;
        await app.WithUsersAsync(async users => hashBefore = (await users.FindByIdAsync(userId))!.PasswordHash);
        using var guest = app.CreateBrowser();
        await guest.PostAsync("/cart/add?item=book");

        await Flows.LoginAsync(guest, Email);

        await app.WithUsersAsync(async users => Assert.NotEqual(hashBefore, (await users.FindByIdAsync(userId))!.PasswordHash));
        Assert.Equal("book", (await guest.PageAsync("/cart")).Body);
        Assert.Single(await app.Store.Users.GetUserSessionsAsync(TemplateApp.UserKey(userId)));
    }
}
