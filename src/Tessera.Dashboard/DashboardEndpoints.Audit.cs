using Microsoft.AspNetCore.Http;
using Tessera.Admin;
using Tessera.Dashboard.Rendering;

namespace Tessera.Dashboard;

internal static partial class DashboardEndpoints
{
    private static async Task<Reply> AuditAsync(Context c)
    {
        var parts = await c.State.GetAsync(c.Aborted).ConfigureAwait(false);
        var report = await parts.Doctor.RunAsync(new DoctorOptions { Configuration = c.State.Store.Options.Configuration }, c.Aborted).ConfigureAwait(false);
        var rows = Html.Join(report.Findings.Select(static f => Html.Of($"""
            <tr data-check="{f.Check}"><td><code>{f.Check}</code></td><td><span class="sev sev-{f.Severity}">{f.Severity}</span></td><td>{f.Message}</td><td>{(f.Fix is null ? Html.Raw("-") : Html.Of($"<code>{f.Fix}</code>"))}</td><td class="mono">{f.Server ?? "all"}</td></tr>
            """)));
        var summary = new Notice(
            report.HasErrors ? "error" : report.Worst == FindingSeverity.Warning ? "warning" : "success",
            $"{report.Count(FindingSeverity.Error)} error(s), {report.Count(FindingSeverity.Warning)} warning(s), {report.Count(FindingSeverity.Info)} note(s), {report.Count(FindingSeverity.Ok)} check(s) fine. The same checks as tessera doctor.");
        var body = Html.Of($"""
            <section class="card"><table data-table="findings"><caption>What the Redis behind the sessions looks like, and how to fix what should change</caption>
            <thead><tr><th scope="col">check</th><th scope="col">severity</th><th scope="col">finding</th><th scope="col">fix</th><th scope="col">server</th></tr></thead>
            <tbody>{rows}</tbody></table></section>
            """);
        return new Reply(200, "Redis audit", "/audit", body, summary);
    }

    private static Task<Reply> CleanupFormAsync(Context c)
    {
        var body = Html.Of($"""
            <section class="card"><h2>Sessions without a TTL</h2>
            <p>A session hash without any expiry (left by a bug or a manual write) never goes away. First count them: a dry run changes nothing.</p>
            <form method="post" action="{c.Base}/cleanup">{c.Antiforgery()}<input type="hidden" name="step" value="dry-run">
            <button type="submit">Dry run: find TTL-less sessions</button></form></section>
            """);
        return Task.FromResult(new Reply(200, "Cleanup", "/cleanup", body));
    }

    private static async Task<Reply> CleanupAsync(Context c, IFormCollection form)
    {
        var parts = await c.State.GetAsync(c.Aborted).ConfigureAwait(false);
        switch (form["step"].ToString())
        {
            case "dry-run":
            {
                var report = await parts.Admin.CleanupAsync(CleanupAction.None, null, 20, null, c.Aborted).ConfigureAwait(false);
                DashboardLog.CleanupDryRun(c.Logger, c.Operator, report.Found, report.ScannedKeys);
                return new Reply(200, "Cleanup: dry run", "/cleanup", CleanupResult(c, report, confirmForm: report.Found > 0));
            }

            case "apply":
            {
                var action = form["action"].ToString() switch
                {
                    "expire" => CleanupAction.Expire,
                    "delete" => CleanupAction.Delete,
                    _ => (CleanupAction?)null,
                };
                if (action is null)
                {
                    DashboardLog.Refused(c.Logger, "cleanup", c.Operator, "unknown action");
                    return Reply.BadRequest("/cleanup", "Cleanup", "Choose what to do to each session: give it a TTL (expire) or delete it.");
                }

                TimeSpan? ttl = null;
                if (action == CleanupAction.Expire)
                {
                    if (!TryTtl(form["ttl"], out var parsed))
                    {
                        DashboardLog.Refused(c.Logger, "cleanup", c.Operator, "bad TTL");
                        return Reply.BadRequest("/cleanup", "Cleanup", "The TTL must be a whole number and a unit, 1 second to 400 days: 90s, 30m, 1h, 2d.");
                    }

                    ttl = parsed;
                }

                if (form["confirm"] != "yes")
                {
                    DashboardLog.Refused(c.Logger, "cleanup", c.Operator, "not confirmed");
                    return Reply.BadRequest("/cleanup", "Cleanup", "Nothing was changed: tick the confirmation box after reviewing the dry run.");
                }

                var report = await parts.Admin.CleanupAsync(action.Value, ttl, 20, null, c.Aborted).ConfigureAwait(false);
                DashboardLog.CleanupApplied(c.Logger, c.Operator, action.Value.ToString(), report.Applied, report.Found);
                return new Reply(200, "Cleanup: applied", "/cleanup", CleanupResult(c, report, confirmForm: false),
                    new Notice("success", $"{report.Applied} of {report.Found} TTL-less session(s) changed ({(action == CleanupAction.Expire ? "given a TTL of " + Format.Duration(ttl) : "deleted")})."));
            }

            default:
                DashboardLog.Refused(c.Logger, "cleanup", c.Operator, "unknown step");
                return Reply.BadRequest("/cleanup", "Cleanup", "Start with a dry run from the cleanup page.");
        }
    }

    private static Html CleanupResult(Context c, CleanupReport report, bool confirmForm)
    {
        var rows = Html.Join(report.Sample.Select(s => Html.Of($"<tr><td class=\"mono\">{s.Tag}</td><td>{UserLink(c, s.UserId)}</td><td class=\"num\">{Format.Bytes(s.Size)}</td><td>{Format.Time(s.LastAccess)}</td></tr>")));
        var confirm = confirmForm
            ? Html.Of($"""
                <section class="card"><h2>Apply</h2>
                <form method="post" action="{c.Base}/cleanup">{c.Antiforgery()}<input type="hidden" name="step" value="apply">
                <fieldset><legend>What to do to each of the {report.Found} session(s)</legend>
                <label class="check"><input type="radio" name="action" value="expire" checked> give it a TTL of</label>
                <label for="ttl" class="visually-hidden">TTL</label><input type="text" id="ttl" name="ttl" value="1h" size="6" aria-describedby="ttl-help"> <span id="ttl-help" class="help">90s, 30m, 1h, 2d</span>
                <label class="check"><input type="radio" name="action" value="delete"> delete it (and drop it from its user's index)</label></fieldset>
                <label class="check"><input type="checkbox" name="confirm" value="yes" required> I have reviewed the dry run and want to change these sessions</label>
                <button type="submit" class="danger">Apply</button></form>
                <p class="help">Each change checks again that the key is a session and still has no TTL, so a session the app refreshed meanwhile is left alone.</p></section>
                """)
            : Html.Empty;
        // After revoke-all --everyone: the dead sessions it left, which any apply deletes.
        var everyone = report.EveryoneRevokedAt is { } at
            ? report.Action == CleanupAction.None
                ? Html.Of($"""<p data-figure="revoked"><strong>{Format.Count(report.RevokedFound)}</strong> session(s) and login(s) created before everyone's revocation ({Format.Time(at)}): dead, not yet expired; applying deletes them.</p>""")
                : Html.Of($"""<p data-figure="revoked">Deleted <strong>{Format.Count(report.RevokedDeleted)}</strong> of {Format.Count(report.RevokedFound)} session(s) and login(s) created before everyone's revocation ({Format.Time(at)}).</p>""")
            : Html.Empty;
        return Html.Of($"""
            <section class="card"><p data-figure="found"><strong>{Format.Count(report.Found)}</strong> TTL-less session(s) among {Format.Count(report.ScannedKeys)} keys{(report.Action == CleanupAction.None ? "; nothing was changed." : ".")}</p>
            {everyone}
            <table data-table="ttl-less"><caption>Up to 20 of them</caption><thead><tr><th scope="col">session</th><th scope="col">user</th><th scope="col" class="num">size</th><th scope="col">last seen</th></tr></thead>
            <tbody>{rows}</tbody></table></section>
            {confirm}
            """);
    }
}
