using System.Globalization;
using Tessera.Dashboard.Rendering;

namespace Tessera.Dashboard;

internal static partial class DashboardEndpoints
{
    private static async Task<Reply> UsersAsync(Context c)
    {
        if (!TryUser(c.Http.Request.Query["user"], out var user, out var error))
        {
            return Reply.BadRequest("/users", "Users", error!, SearchForm(c, null));
        }

        var notice = c.Http.Request.Query["m"].ToString() switch
        {
            "revoked" => new Notice("success", "The session was revoked: that device is signed out on its next request."),
            "gone" => new Notice("info", "That session had already ended; nothing was revoked."),
            "revoked-all" when int.TryParse(c.Http.Request.Query["n"], NumberStyles.None, CultureInfo.InvariantCulture, out var n) =>
                new Notice("success", $"{n} session(s) revoked: the user is signed out everywhere."),
            _ => null,
        };

        if (user is null)
        {
            return new Reply(200, "Users", "/users", SearchForm(c, null), notice);
        }

        var sessions = await c.State.Store.Users.GetUserSessionsAsync(user, c.Aborted).ConfigureAwait(false);
        var now = c.State.Time.GetUtcNow();
        var token = c.Antiforgery();
        var rows = Html.Join(sessions.Select(s =>
        {
            var tag = SessionIds.TagOfHandle(s.Handle);
            var m = s.Metadata;
            var linked = s.LinkedHandles.Count == 0
                ? Html.Empty
                : Html.Of($"""<br><span class="help">login + {s.LinkedHandles.Count} linked session(s)</span>""");
            var authenticated = m.AuthenticatedAt is { } at
                ? Html.Of($"""{Format.Time(at)}<br><span class="help">{Format.Ago(at, now)}</span>""")
                : Html.Raw("-");
            // The name is the user's and the label the user agent's: attacker-controlled text, encoded by Html.Of.
            var named = m.DeviceName is { } name
                ? Html.Of($"""<strong>{TerminalText.Strip(name)}</strong><br><span class="help">{m.DeviceLabel}</span>""")
                : Html.Of($"{m.DeviceLabel}");
            var method = m.SignInMethod is { } how ? Html.Of($"""<br><span class="help">signed in with {TerminalText.Strip(how)}</span>""") : Html.Empty;
            return Html.Of($"""
                <tr data-session="{tag}"><td class="mono">{tag}{linked}</td><td data-col="device">{named}{method}</td><td>{Format.Time(m.LastAccess)}<br><span class="help">{Format.Ago(m.LastAccess, now)}</span></td>
                <td>{Format.Time(m.Created)}</td><td>{authenticated}</td>
                <td class="mono">{TerminalText.Strip(m.LastClientIp ?? m.ClientIp ?? "-")}</td><td class="ua">{TerminalText.Strip(m.LastUserAgent ?? m.UserAgent ?? "-")}</td><td>{Format.Time(m.ExpiresAt)}</td>
                <td><form class="row" method="post" action="{c.Base}/users/revoke">{token}<input type="hidden" name="user" value="{user}"><input type="hidden" name="session" value="{tag}">
                <button type="submit" class="danger" aria-label="Revoke device {tag}">Revoke</button></form></td></tr>
                """);
        }));
        var table = sessions.Count == 0
            ? Html.Of($"<p>No live session for <strong>{user}</strong> (the user index holds none that Redis still has).</p>")
            : Html.Of($"""
                <table data-table="devices"><caption>{sessions.Count} device(s) of {user}, most recently seen first</caption>
                <thead><tr><th scope="col">device</th><th scope="col">name, browser, sign-in</th><th scope="col">last seen</th><th scope="col">created</th><th scope="col">authenticated</th><th scope="col">IP (last seen)</th><th scope="col">user agent (last seen)</th><th scope="col">expires unless used</th><th scope="col">action</th></tr></thead>
                <tbody>{rows}</tbody></table>
                <form class="inline" method="post" action="{c.Base}/users/revoke-all">{token}<input type="hidden" name="user" value="{user}">
                <button type="submit" class="danger">Revoke all {sessions.Count} device(s) of {user}</button></form>
                """);
        var body = Html.Of($"""
            {SearchForm(c, user)}
            <section class="card" aria-labelledby="h-dev"><h2 id="h-dev">Devices of {user}</h2>{table}
            <p class="help">Devices are shown by their tag, never their id. A device is a login with the sessions its browser signed in with (revoked together), or a session on its own. "Authenticated" is the last sign-in there, what step-up checks measure from. A revoked device's next request arrives as a new visitor.</p></section>
            """);
        return new Reply(200, "User " + user, "/users", body, notice);
    }

    private static Html SearchForm(Context c, string? user) => Html.Of($"""
        <form class="inline" method="get" action="{c.Base}/users" role="search">
        <div><label for="user">User id</label><input type="search" id="user" name="user" value="{user ?? string.Empty}" maxlength="{MaxUserIdLength}" required></div>
        <button type="submit">Find sessions</button></form>
        """);

    private static async Task<Reply> RevokeAsync(Context c, Microsoft.AspNetCore.Http.IFormCollection form)
    {
        if (!TryUser(form["user"], out var user, out var error) || user is null)
        {
            DashboardLog.Refused(c.Logger, "revoke", c.Operator, "bad user id");
            return Reply.BadRequest("/users", "Users", error ?? "Say whose session to revoke: the form needs a user id.", SearchForm(c, null));
        }

        string tag = form["session"].ToString();
        if (!IsTag(tag))
        {
            DashboardLog.Refused(c.Logger, "revoke", c.Operator, "bad session tag");
            return Reply.BadRequest("/users", "Users", "A session is named by its 8-hex-digit tag, as the user page lists it.", SearchForm(c, user));
        }

        var sessions = await c.State.Store.Users.GetUserSessionsAsync(user, c.Aborted).ConfigureAwait(false);
        var target = sessions.FirstOrDefault(s => SessionIds.TagOfHandle(s.Handle) == tag);
        var revoked = target is not null && await c.State.Store.Users.RevokeByHandleAsync(target.Handle, c.Aborted).ConfigureAwait(false);
        if (revoked)
        {
            DashboardLog.Revoked(c.Logger, c.Operator, tag, user);
        }
        else
        {
            DashboardLog.RevokeMissed(c.Logger, c.Operator, tag, user);
        }

        return Reply.Redirect(Query(c.Base, "/users", ("user", user), ("m", revoked ? "revoked" : "gone")));
    }

    private static async Task<Reply> RevokeAllAsync(Context c, Microsoft.AspNetCore.Http.IFormCollection form)
    {
        if (!TryUser(form["user"], out var user, out var error) || user is null)
        {
            DashboardLog.Refused(c.Logger, "revoke-all", c.Operator, "bad user id");
            return Reply.BadRequest("/users", "Users", error ?? "Say whose sessions to revoke: the form needs a user id.", SearchForm(c, null));
        }

        var count = await c.State.Store.Users.RevokeUserSessionsAsync(user, null, c.Aborted).ConfigureAwait(false);
        DashboardLog.RevokedAll(c.Logger, c.Operator, count, user);
        return Reply.Redirect(Query(c.Base, "/users", ("user", user), ("m", "revoked-all"), ("n", count.ToString(CultureInfo.InvariantCulture))));
    }
}
