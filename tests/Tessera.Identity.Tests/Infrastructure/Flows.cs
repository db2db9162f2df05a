using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tessera.AspNetCore;

namespace Tessera.Identity.Tests;

/// <summary>What a user does on the template's Identity pages, as a browser does it (forms, antiforgery).</summary>
public static class Flows
{
    /// <summary>The login page.</summary>
    public const string LoginPage = "/Identity/Account/Login";

    /// <summary>A page only a signed-in user may open (the template's "Manage your account").</summary>
    public const string ManagePage = "/Identity/Account/Manage";

    /// <summary>Submits the login form (the password step).</summary>
    /// <param name="browser">The browser.</param>
    /// <param name="email">The user.</param>
    /// <param name="password">The password.</param>
    /// <returns>The response.</returns>
    public static Task<Browser.Page> SubmitPasswordAsync(Browser browser, string email, string password = TemplateApp.Password) =>
        browser.SubmitAsync(LoginPage, new Dictionary<string, string>
        {
            ["Input.Email"] = email,
            ["Input.Password"] = password,
            ["Input.RememberMe"] = "false",
        });

    /// <summary>Logs in with a password (a user without two-factor authentication) and checks it worked.</summary>
    /// <param name="browser">The browser.</param>
    /// <param name="email">The user.</param>
    /// <returns>A task.</returns>
    public static async Task LoginAsync(Browser browser, string email)
    {
        var response = await SubmitPasswordAsync(browser, email);
        Assert.True(response.Status == HttpStatusCode.Redirect && response.Location == "/", $"login: {(int)response.Status} {response.Location}");
        Assert.True(await IsSignedInAsync(browser));
    }

    /// <summary>Completes a two-factor login with a recovery code.</summary>
    /// <param name="browser">The browser, after the password step.</param>
    /// <param name="code">A recovery code.</param>
    /// <returns>The response.</returns>
    public static Task<Browser.Page> SubmitRecoveryCodeAsync(Browser browser, string code) =>
        browser.SubmitAsync("/Identity/Account/LoginWithRecoveryCode?ReturnUrl=%2F", new Dictionary<string, string> { ["Input.RecoveryCode"] = code });

    /// <summary>Logs out with the logout form of the template's _LoginPartial (on every page of a signed-in user).</summary>
    /// <param name="browser">The browser.</param>
    /// <returns>The response.</returns>
    public static Task<Browser.Page> LogoutAsync(Browser browser) =>
        browser.SubmitAsync(ManagePage, new Dictionary<string, string>(), "/Identity/Account/Logout?returnUrl=%2F");

    /// <summary>Changes the password on the template's "Change password" page.</summary>
    /// <param name="browser">The browser, signed in.</param>
    /// <param name="newPassword">The new password.</param>
    /// <returns>The response.</returns>
    public static Task<Browser.Page> ChangePasswordAsync(Browser browser, string newPassword) =>
        browser.SubmitAsync(ManagePage + "/ChangePassword", new Dictionary<string, string>
        {
            ["Input.OldPassword"] = TemplateApp.Password,
            ["Input.NewPassword"] = newPassword,
            ["Input.ConfirmPassword"] = newPassword,
        });

    /// <summary>Whether the browser is signed in: the account page opens rather than sending it to the login page.</summary>
    /// <param name="browser">The browser.</param>
    /// <returns><see langword="true"/> when signed in.</returns>
    public static async Task<bool> IsSignedInAsync(Browser browser)
    {
        var page = await browser.PageAsync(ManagePage);
        if (page.Status == HttpStatusCode.OK)
        {
            return true;
        }

        Assert.True(page.Status == HttpStatusCode.Redirect && page.Location!.Contains(LoginPage, StringComparison.Ordinal), $"{(int)page.Status} {page.Location}");
        return false;
    }

    /// <summary>The Tessera session cookie's name in this app.</summary>
    /// <param name="app">The app.</param>
    /// <returns>The name.</returns>
    public static string SessionCookie(TemplateApp app) =>
        app.App.Services.GetRequiredService<IOptions<TesseraSessionOptions>>().Value.Cookie.Name!;

    /// <summary>The browser's Tessera session as Redis holds it, or null.</summary>
    /// <param name="app">The app.</param>
    /// <param name="browser">The browser.</param>
    /// <returns>The record.</returns>
    public static async Task<SessionRecord?> SessionOfAsync(TemplateApp app, Browser browser) =>
        browser.Cookie(SessionCookie(app)) is { } id && SessionIds.IsValid(id) ? (await app.Store.LoadAsync(id)).Record : null;
}
