using System.Security.Cryptography;
using System.Text;
using Html = Tessera.Dashboard.Rendering.Html;
using HtmlBuilder = Tessera.Dashboard.Rendering.HtmlBuilder;
using Tessera.Demo.Model;

namespace Tessera.Demo.Rendering;

/// <summary>
/// The step-up pages: <c>/confirm</c> (the password again, when the sign-in is too old for a
/// sensitive page) and <c>/devices/recovery-codes</c> (the sensitive page).
/// </summary>
internal static class StepUpView
{
    /// <summary>Renders the confirmation page.</summary>
    /// <param name="m">The model, with <see cref="PageModel.ReturnUrl"/>.</param>
    /// <returns>The HTML document.</returns>
    public static string Confirm(PageModel m)
    {
        var s = m.Session;
        var at = s?.Metadata?.AuthenticatedAt;
        var why = at is { } t
            ? Html.Of($"""You entered your password <strong id="authenticated-ago">{Format.Relative(t, m.Now)}</strong>; the page you asked for needs it within the last {Format.Duration(m.Settings.StepUpMaxAge)}.""")
            : Html.Of($"""The page you asked for needs your password within the last {Format.Duration(m.Settings.StepUpMaxAge)}.""");
        var content = Html.Of($"""
            {Parts.TopError(m, static form => form == "confirm")}
            <section class="card narrow" aria-labelledby="h-confirm">
              <h2 id="h-confirm">Confirm it is you</h2>
              <p>{why} Enter it again to go on, as <strong id="user">{s?.User}</strong>.</p>
              <form method="post" action="/confirm" class="inline" novalidate>
                {Parts.Token(m)}
                <input type="hidden" name="returnUrl" value="{m.ReturnUrl}">
                <div>
                  <label for="password">Password</label>
                  <input type="password" id="password" name="password" autocomplete="current-password" maxlength="{InputRules.MaxPasswordLength}" autofocus{Parts.Invalid(m, "confirm", "confirm-error")}>
                </div>
                <button type="submit" id="confirm">Confirm</button>
              </form>
              {Parts.Error(m, "confirm", "confirm-error")}
              <p class="help">Confirming is a sign-in again: the session gets a new ID and a new "authenticated at", and you go back to <code id="return-url">{m.ReturnUrl}</code>. <a href="/devices">Cancel</a></p>
            </section>
            """);
        return Layout.Render(m, "Confirm it is you", content);
    }

    /// <summary>Renders the recovery codes (only reached through <c>RequireRecentAuthentication</c>).</summary>
    /// <param name="m">The model.</param>
    /// <returns>The HTML document.</returns>
    public static string RecoveryCodes(PageModel m)
    {
        var s = m.Session;
        var user = s?.User ?? string.Empty;
        var codes = Html.Join(Codes(user).Select(static c => Html.Of($"<li><code>{c}</code></li>")));
        var until = s?.Metadata?.AuthenticatedAt is { } at ? Html.Of($""" until <strong>{Format.Clock(at + m.Settings.StepUpMaxAge)}</strong>""") : Html.Empty;
        var content = Html.Of($"""
            <section class="card narrow" aria-labelledby="h-codes">
              <h2 id="h-codes">Recovery codes of {user}</h2>
              <p>You entered your password recently enough, so this page opens{until}; after that it asks for the password again.</p>
              <ol id="recovery-codes" class="codes">{codes}</ol>
              <p class="help">Made up from the username for the demo. A real app generates them once, shows them once and keeps only their hashes.</p>
              <p><a href="/devices">Back to your devices</a></p>
            </section>
            """);
        return Layout.Render(m, "Recovery codes", content);
    }

    /// <summary>Eight codes derived from the username (the demo's stand-in; stable, so a test can compare them).</summary>
    /// <param name="user">The user.</param>
    /// <returns>The codes.</returns>
    public static IReadOnlyList<string> Codes(string user)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes("tessera-demo recovery codes\n" + user));
        return [.. Enumerable.Range(0, 8).Select(i => string.Concat(Convert.ToHexStringLower(bytes.AsSpan(i * 4, 2)), "-", Convert.ToHexStringLower(bytes.AsSpan(i * 4 + 2, 2))))];
    }
}
