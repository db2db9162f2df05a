using Html = Tessera.Dashboard.Rendering.Html;
using HtmlBuilder = Tessera.Dashboard.Rendering.HtmlBuilder;
using Tessera.Demo.Model;

namespace Tessera.Demo.Rendering;

/// <summary>
/// <c>/devices</c>: the signed-in user's devices (by handle, with created, authenticated at, last seen,
/// first and last address and browser), a revoke button per device, "log out my other devices", the
/// per-user limit, and the step-up protected action.
/// </summary>
internal static class DevicesView
{
    /// <summary>Renders the page.</summary>
    /// <param name="m">The model.</param>
    /// <returns>The HTML document.</returns>
    public static string Render(PageModel m)
    {
        var s = m.Session;
        if (s?.User is not { } user)
        {
            return Layout.Render(m, "Your devices", Html.Of($"""
                {Parts.TopError(m, static _ => false)}
                <section class="card" aria-labelledby="h-devices">
                  <h2 id="h-devices">Your devices</h2>
                  <p id="no-devices">You are not logged in, so there are no devices to show. <a href="/">Log in</a> first.</p>
                </section>
                """));
        }

        var content = Html.Of($"""
            {Parts.TopError(m, static form => form is "revoke" or "logout-others" or "name")}
            <div class="grid">
            {Table(m, s, user)}
            </div>
            <div class="grid pair">
            {Limit(m, s)}
            {StepUp(m, s)}
            </div>
            """);
        return Layout.Render(m, "Your devices", content);
    }

    private static Html Table(PageModel m, SessionState s, string user)
    {
        var rows = Html.Join(s.Devices.Select(d => Row(m, d)));
        var others = s.Devices.Count(static d => !d.Current);
        return Html.Of($"""
            <section class="card wide" aria-labelledby="h-devices">
              <h2 id="h-devices">Your devices (<span id="device-count">{s.Devices.Count}</span>)</h2>
              <div class="scroll">
              <table id="devices" class="devices">
                <caption class="help cap">Every device <strong>{user}</strong> is signed in on, most recently seen first, from the user index. A device is named by its handle (the SHA-256 name Redis keeps it under; not a credential, so this page can show it and the revoke button can post it).</caption>
                <thead><tr><th scope="col">Device</th><th scope="col">Created</th><th scope="col">Authenticated</th><th scope="col">Last seen</th><th scope="col">First seen from</th><th scope="col">Last seen from</th><th scope="col"><span class="sr">Action</span></th></tr></thead>
                <tbody>{rows}</tbody>
              </table>
              </div>
              {Parts.Error(m, "revoke", "revoke-error")}
              {Parts.Error(m, "name", "name-error")}
              <form method="post" action="/logout-others" class="inline">
                {Parts.Token(m)}
                <button type="submit" id="logout-others" class="secondary"{(others == 0 ? Html.Raw(" disabled") : Html.Empty)}>Log out my other devices ({others})</button>
              </form>
              {Parts.Error(m, "logout-others", "logout-others-error")}
              <p class="help">Revoking deletes that device's session in Redis at once: its next request, on any instance, arrives as a new visitor. "Authenticated" is the last time the password was entered there (a login or a confirmation); the step-up below measures from it.</p>
            </section>
            """);
    }

    private static Html Row(PageModel m, DeviceRow d)
    {
        var meta = d.Metadata;
        var action = d.Current
            ? Html.Of($"""
                <form method="post" action="/logout">{Parts.Token(m)}<button type="submit" class="secondary small" aria-label="Log out this device ({d.ShortHandle})">Log out</button></form>
                """)
            : Html.Of($"""
                <form method="post" action="/devices/revoke">{Parts.Token(m)}<input type="hidden" name="handle" value="{d.Handle}"><button type="submit" class="danger small" data-revoke="{d.Handle}" aria-label="Revoke device {d.ShortHandle}">Revoke</button></form>
                """);
        var authenticated = meta.AuthenticatedAt is { } at
            ? Html.Of($"""{Format.Clock(at)}<br><span class="help">{Format.Relative(at, m.Now)}</span>""")
            : Html.Raw("—");
        var lastIp = meta.LastClientIp ?? meta.ClientIp;
        var lastAgent = meta.LastUserAgent ?? meta.UserAgent;
        return Html.Of($"""
            <tr data-handle="{d.Handle}"{(d.Current ? Html.Raw(" class=\"current\" aria-current=\"true\"") : Html.Empty)}>
              <td><strong data-label>{meta.DeviceLabel}</strong>{(meta.DeviceName is { } name ? Html.Of($"""<br><span data-name>“{name}”</span>""") : Html.Empty)}{(meta.SignInMethod is { } how ? Html.Of($"""<br><span class="help" data-method>signed in with {how}</span>""") : Html.Empty)}
                <br><code title="{d.Handle}">{d.ShortHandle}</code>{(d.Current ? Html.Raw(" <span class=\"tag you\" data-current>this device</span>") : Html.Empty)}
                <form method="post" action="/devices/name" class="inline name-device">{Parts.Token(m)}<input type="hidden" name="handle" value="{d.Handle}"><label class="sr" for="name-{d.Handle}">Name of device {d.ShortHandle}</label><input type="text" id="name-{d.Handle}" name="name" value="{meta.DeviceName ?? string.Empty}" maxlength="{DeviceText.MaxNameLength}" placeholder="Name this device"><button type="submit" class="secondary small" data-name-device="{d.Handle}">Save name</button></form></td>
              <td>{Format.Clock(meta.Created)}<br><span class="help">{Format.Relative(meta.Created, m.Now)}</span></td>
              <td>{authenticated}</td>
              <td>{Format.Relative(meta.LastAccess, m.Now)}</td>
              <td>{Client(meta.ClientIp, meta.UserAgent)}</td>
              <td>{(lastIp == meta.ClientIp && lastAgent == meta.UserAgent ? Html.Raw("<span class=\"help\">same</span>") : Client(lastIp, lastAgent))}</td>
              <td class="act">{action}</td>
            </tr>
            """);
    }

    private static Html Client(string? ip, string? agent) =>
        Html.Of($"""<span class="mono">{ip ?? "—"}</span><br><span class="ua">{InputRules.Echo(agent ?? "—", 120)}</span>""");

    private static Html Limit(PageModel m, SessionState s)
    {
        var settings = m.Settings;
        var full = s.Devices.Count >= settings.MaxDevicesPerUser;
        var consequence = settings.DeviceLimitPolicy == SessionLimitPolicy.DenyNew
            ? "Signing in on one more device is refused with a message until you log one out here (or it expires)."
            : "Signing in on one more device logs out the device whose login expires first (the oldest).";
        return Html.Of($"""
            <section class="card" aria-labelledby="h-limit">
              <h2 id="h-limit">Device limit</h2>
              <p class="big" id="limit-use">{s.Devices.Count} <span class="of">of {settings.MaxDevicesPerUser}</span></p>
              <dl class="facts">
                <dt>Limit</dt><dd><code>MaxSessionsPerUser = {settings.MaxDevicesPerUser}</code></dd>
                <dt>Policy</dt><dd><code id="limit-policy">{settings.DeviceLimitPolicy}</code></dd>
              </dl>
              <p>{consequence}{(full ? Html.Raw(" <strong>You are at the limit now.</strong>") : Html.Empty)}</p>
              <p class="help">Checked in one script on the user index, so two sign-ins racing cannot both take the last place.</p>
            </section>
            """);
    }

    private static Html StepUp(PageModel m, SessionState s)
    {
        var at = s.Metadata?.AuthenticatedAt;
        var fresh = at is { } when && m.Now - when <= m.Settings.StepUpMaxAge;
        var since = at is { } t ? Html.Of($"""You last entered your password <strong id="authenticated-ago">{Format.Relative(t, m.Now)}</strong>""") : Html.Raw("You have not entered a password on this device");
        return Html.Of($"""
            <section class="card" aria-labelledby="h-stepup">
              <h2 id="h-stepup">Recovery codes</h2>
              <p>A sensitive page: it opens only within <strong id="step-up-age">{Format.Duration(m.Settings.StepUpMaxAge)}</strong> of entering your password (<code>.RequireRecentAuthentication()</code>). {since}{(fresh ? Html.Raw(", so it opens at once.") : Html.Raw(", so it asks for the password first."))}</p>
              <p><a class="button" href="/devices/recovery-codes" id="recovery-codes-link">Show my recovery codes</a></p>
            </section>
            """);
    }
}
