using System.Globalization;
using Tessera.Analytics;
using Tessera.Dashboard.Rendering;

namespace Tessera.Dashboard;

internal static partial class DashboardEndpoints
{
    private static readonly Dictionary<string, string> CounterNames = new(StringComparer.Ordinal)
    {
        [AnalyticsLayout.Created] = "sessions created",
        [AnalyticsLayout.Logins] = "sign-ins",
        [AnalyticsLayout.Rotated] = "rotations",
        [AnalyticsLayout.Revoked] = "revocations",
        [AnalyticsLayout.Destroyed] = "logouts",
        [AnalyticsLayout.Expired] = "expired, seen on read",
        [AnalyticsLayout.BindingRejected] = "binding rejections",
    };

    private static async Task<Reply> AnalyticsAsync(Context c)
    {
        var parts = await c.State.GetAsync(c.Aborted).ConfigureAwait(false);
        var now = await parts.Keyspace.ServerTimeAsync(c.Aborted).ConfigureAwait(false);
        var days = await parts.Analytics.ReadDaysAsync(DateOnly.FromDateTime(now.UtcDateTime), 7, c.Aborted).ConfigureAwait(false);
        var created = await parts.Analytics.ReadMinutesAsync(AnalyticsLayout.Created, now, 1440, c.Aborted).ConfigureAwait(false);

        var head = Html.Join(AnalyticsLayout.Counters.Select(static k => Html.Of($"<th scope=\"col\" class=\"num\">{CounterNames[k]}</th>")));
        var rows = Html.Join(days.Reverse().Select(d => Html.Of($"""
            <tr data-day="{d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}"><th scope="row">{d.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}</th>{Html.Join(AnalyticsLayout.Counters.Select(k => Html.Of($"<td class=\"num\" data-counter=\"{k}\">{Format.Count(d[k])}</td>")))}</tr>
            """)));

        // Average lifetime by Little's law: live sessions = arrival rate x mean lifetime, over the
        // stretch of the last 24 hours that has data (the counters may have started recently).
        Html lifetime;
        var first = created.FirstOrDefault(static m => m.Count > 0);
        var arrivals = created.Sum(static m => m.Count);
        var live = (long)Math.Round((await c.State.OverviewAsync(false, c.Aborted).ConfigureAwait(false)).Figures.Sessions.Value);
        if (arrivals > 0)
        {
            var window = now - first.Minute;
            var perSecond = arrivals / Math.Max(60, window.TotalSeconds);
            lifetime = Html.Of($"""
                <p data-figure="lifetime">Estimated average session lifetime: <strong>{Format.Duration(TimeSpan.FromSeconds(live / perSecond))}</strong></p>
                <p class="help">Little's law: {Format.Count(live)} live sessions ÷ {perSecond.ToString("0.###", CultureInfo.InvariantCulture)} sessions created per second (the {Format.Count(arrivals)} created in the last {Format.Duration(window)}). Holds when traffic is steady.</p>
                """);
        }
        else
        {
            lifetime = Html.Raw("<p data-figure=\"lifetime\">Average session lifetime: not enough data yet (no session created in the last 24 hours).</p>");
        }

        var note = c.State.Analytics is null
            ? new Notice("warning", "This app does not record analytics: call services.AddTesseraAnalytics() beside AddTessera(). The figures below are what other apps sharing this Redis recorded.")
            : null;
        var body = Html.Of($"""
            <div class="grid">
            <section class="card" aria-labelledby="h-logins"><h2 id="h-logins">Sign-ins per day</h2>
            {Charts.Bars("ld", "Sign-ins per day, last 7 days", [.. days.Select(static d => (d.Day.ToString("MM-dd", CultureInfo.InvariantCulture), d[AnalyticsLayout.Logins]))], "sign-ins", 1, "bar2")}</section>
            <section class="card" aria-labelledby="h-created"><h2 id="h-created">Sessions created per day</h2>
            {Charts.Bars("cd", "Sessions created per day, last 7 days", [.. days.Select(static d => (d.Day.ToString("MM-dd", CultureInfo.InvariantCulture), d[AnalyticsLayout.Created]))], "sessions")}</section>
            <section class="card wide" aria-labelledby="h-days"><h2 id="h-days">Lifecycle events per day (UTC)</h2>
            <div style="overflow-x:auto"><table data-table="days"><caption>Counted by <code>AddTesseraAnalytics()</code> as they happen, kept 8 days; no keyspace notifications, nothing on a plain read</caption>
            <thead><tr><th scope="col">day</th>{head}</tr></thead><tbody>{rows}</tbody></table></div>
            {lifetime}
            <p class="help">A sign-in is a creation or rotation that carries a user (<code>SignInAsync</code>); a <code>RotateAsync</code> of an already signed-in session counts as one too.
            Idle expiry is done by Redis itself and raises no event; "expired, seen on read" counts sessions a read found past their absolute deadline.</p></section>
            </div>
            """);
        return new Reply(200, "Analytics", "/analytics", body, note);
    }

    private static async Task<Reply> LiveAsync(Context c)
    {
        var parts = await c.State.GetAsync(c.Aborted).ConfigureAwait(false);
        var follow = c.Http.Request.Query["follow"] == "1";
        if (!await parts.Analytics.StreamsSupportedAsync(c.Aborted).ConfigureAwait(false))
        {
            return new Reply(200, "Live events", "/live",
                Html.Raw("<p>The event feed needs Redis Streams (<code>XADD</code>), which this server does not have (Garnet, for one, has none). The counters on the Analytics page work without them.</p>"),
                new Notice("warning", "Live events are not available on this server."));
        }

        var events = await parts.Analytics.LatestEventsAsync(50, c.Aborted).ConfigureAwait(false);
        var enabled = c.State.Analytics?.Options.EventStream == true;
        Notice? notice = enabled ? null : new Notice("info", "This app does not write the event stream: AddTesseraAnalytics(o => o.EventStream = true) turns it on. Shown: what other apps sharing this Redis wrote.");
        var rows = Html.Join(events.Select(e => Html.Of($"""
            <tr><td>{Format.Time(e.At)}</td><td>{e.Kind}</td><td class="mono">{e.SessionTag}</td><td>{UserLink(c, e.UserId)}</td><td class="mono">{e.NewSessionTag ?? "-"}</td><td>{e.Detail ?? "-"}</td></tr>
            """)));
        var toggle = follow
            ? Html.Of($"<p><a href=\"{c.Base}/live\">Stop following</a> (this page reloads itself every 5 s)</p>")
            : Html.Of($"<p><a href=\"{c.Base}/live?follow=1\">Follow: reload every 5 s</a></p>");
        var body = Html.Of($"""
            {toggle}
            <section class="card"><table data-table="events"><caption>The latest {events.Count} lifecycle events, newest first (stream <code>{AnalyticsLayout.StreamKey(c.State.KeyPrefix)}</code>; <code>tessera watch --events</code> follows it in a terminal)</caption>
            <thead><tr><th scope="col">when</th><th scope="col">event</th><th scope="col">session</th><th scope="col">user</th><th scope="col">new session</th><th scope="col">detail</th></tr></thead>
            <tbody>{rows}</tbody></table></section>
            """);
        return new Reply(200, "Live events", "/live", body, notice, Refresh: follow ? 5 : null);
    }
}
