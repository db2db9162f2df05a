using System.Globalization;
using Tessera.Admin;
using Tessera.Analytics;
using Tessera.Dashboard.Rendering;

namespace Tessera.Dashboard;

internal static partial class DashboardEndpoints
{
    private static async Task<Reply> OverviewAsync(Context c)
    {
        var rescan = c.Http.Request.Query["scan"] == "now";
        var snapshot = await c.State.OverviewAsync(rescan, c.Aborted).ConfigureAwait(false);
        var parts = await c.State.GetAsync(c.Aborted).ConfigureAwait(false);
        var s = snapshot.Stats;
        var now = snapshot.At;
        var used = s.Memory.Sum(static m => m.UsedBytes);
        var max = s.Memory.Sum(static m => m.MaxBytes);
        var reported = s.Memory.Any(static m => m.UsedHuman is not null || m.UsedBytes > 0);
        var policies = s.Memory.All(static m => m.Policy is null)
            ? "not reported"
            : string.Join(", ", s.Memory.Select(static m => m.Policy ?? "?").Distinct(StringComparer.Ordinal));

        var figures = Html.Of($"""
            <dl class="figures" aria-label="Figures">
            <div><dt>Sessions now</dt><dd data-figure="sessions" data-value="{s.Sessions}">{Format.Count(s.Sessions)}</dd></div>
            <div><dt>Signed-in users</dt><dd data-figure="users" data-value="{s.DistinctUsers}">{Format.Count(s.DistinctUsers)}<small>{Format.Count(s.WithUser)} sessions bound to a user</small></dd></div>
            <div><dt>Rotation tombstones</dt><dd data-figure="tombstones" data-value="{s.Tombstones}">{Format.Count(s.Tombstones)}</dd></div>
            <div><dt>TTL-less sessions</dt><dd data-figure="ttl-less" data-value="{s.TtlLess}">{Format.Count(s.TtlLess)}<small><a href="{c.Base}/cleanup">clean up</a></small></dd></div>
            <div><dt>Memory used</dt><dd data-figure="memory" data-value="{used}">{(reported ? Format.Bytes(used) : "-")}<small>{(reported ? "maxmemory " + (max == 0 ? "unlimited" : Format.Bytes(max)) : "not reported by this server")}</small></dd></div>
            <div><dt>Evicted keys</dt><dd data-figure="evictions" data-value="{snapshot.Live.EvictedKeys}">{Format.Count(snapshot.Live.EvictedKeys)}<small>since the server started</small></dd></div>
            <div><dt>Eviction policy</dt><dd data-figure="policy" style="font-size:1.1rem">{policies}</dd></div>
            </dl>
            """);

        var ttlRows = Html.Join(s.TtlHistogram.Select(static b => Html.Of($"<tr><th scope=\"row\">{b.Label}</th><td class=\"num\" data-value=\"{b.Count}\">{Format.Count(b.Count)}</td></tr>")));
        var ttlChart = Charts.Bars("ttl", "Sessions by remaining TTL", [.. s.TtlHistogram.Select(static b => (b.Label, b.Count))], "sessions");
        var z = s.Sizes;
        var sizes = Html.Of($"""
            <table data-table="sizes"><caption>Session size ({z.Source}), {Format.Count(z.Count)} sessions</caption>
            <thead><tr><th scope="col">percentile</th><th scope="col" class="num">bytes</th></tr></thead>
            <tbody>
            <tr><th scope="row">median</th><td class="num" data-size="p50">{z.P50}</td></tr>
            <tr><th scope="row">90th</th><td class="num" data-size="p90">{z.P90}</td></tr>
            <tr><th scope="row">99th</th><td class="num" data-size="p99">{z.P99}</td></tr>
            <tr><th scope="row">largest</th><td class="num" data-size="max">{z.Max}</td></tr>
            <tr><th scope="row">total</th><td class="num">{Format.Bytes(z.Total)}</td></tr>
            </tbody></table>
            """);

        var largest = Html.Join(snapshot.Largest.Select(d => Html.Of($"""
            <tr><td class="mono">{d.Summary.Tag}</td><td>{UserLink(c, d.Summary.UserId)}</td><td class="num">{Format.Bytes(d.Summary.Size)}</td>
            <td>{Html.Join(d.Fields.OrderByDescending(static f => f.StoredBytes).Take(3).Select(static f => Html.Of($"<code>{f.Key}</code> {Format.Bytes(f.StoredBytes)}<br>")))}</td>
            <td>{Format.Ago(d.Summary.LastAccess, now)}</td></tr>
            """)));
        var topUsers = Html.Join(s.TopUsers.Select(u => Html.Of($"<tr><td>{UserLink(c, u.UserId)}</td><td class=\"num\">{Format.Count(u.Sessions)}</td></tr>")));

        // Charts over time: live sessions from the samples each scan records, sign-ins from the analytics counters.
        var samples = await parts.Analytics.ReadSamplesAsync(now.AddDays(-7), c.Aborted).ConfigureAwait(false);
        var lastHour = samples.Where(p => p.At >= now.AddHours(-1)).ToList();
        var loginsMinutes = await parts.Analytics.ReadMinutesAsync(AnalyticsLayout.Logins, now, 60, c.Aborted).ConfigureAwait(false);
        var days = await parts.Analytics.ReadDaysAsync(DateOnly.FromDateTime(now.UtcDateTime), 7, c.Aborted).ConfigureAwait(false);
        var analyticsNote = c.State.Analytics is null
            ? Html.Of($"<p class=\"help\">Sign-ins are counted by <code>services.AddTesseraAnalytics()</code>, which this app has not called: the sign-in charts stay empty.</p>")
            : Html.Empty;

        var body = Html.Of($"""
            <p class="help">One paced <code>SCAN</code> of {Format.Count(s.ScannedKeys)} keys (the same computation as <code>tessera stats</code>), finished {Format.Time(now)}, took {Format.Duration(s.Elapsed)}.
            Reused for {Format.Duration(c.State.Options.OverviewCacheDuration)}.</p>
            <form class="inline" method="get" action="{c.Base}"><input type="hidden" name="scan" value="now"><button type="submit" class="secondary">Scan now</button></form>
            {figures}
            <div class="grid">
            <section class="card" aria-labelledby="h-live1"><h2 id="h-live1">Live sessions, last hour</h2>
            {Charts.Line("s1h", "Live sessions in the last hour (one point per overview scan)", lastHour, now.AddHours(-1), now, "HH:mm", "sessions")}</section>
            <section class="card" aria-labelledby="h-live7"><h2 id="h-live7">Live sessions, last 7 days</h2>
            {Charts.Line("s7d", "Live sessions in the last 7 days (one point per overview scan)", samples, now.AddDays(-7), now, "MM-dd", "sessions")}</section>
            <section class="card" aria-labelledby="h-log1"><h2 id="h-log1">Sign-ins per minute, last hour</h2>
            {Charts.Bars("l1h", "Sign-ins per minute in the last hour", [.. loginsMinutes.Select(static m => (m.Minute.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture), m.Count))], "sign-ins", 10, "bar2")}{analyticsNote}</section>
            <section class="card" aria-labelledby="h-log7"><h2 id="h-log7">Sign-ins per day, last 7 days</h2>
            {Charts.Bars("l7d", "Sign-ins per day in the last 7 days", [.. days.Select(static d => (d.Day.ToString("MM-dd", CultureInfo.InvariantCulture), d[AnalyticsLayout.Logins]))], "sign-ins", 1, "bar2")}</section>
            <section class="card" aria-labelledby="h-ttl"><h2 id="h-ttl">Remaining TTL</h2>
            {ttlChart}
            <table data-table="ttl"><caption>Sessions by remaining TTL</caption><thead><tr><th scope="col">TTL</th><th scope="col" class="num">sessions</th></tr></thead><tbody>{ttlRows}</tbody></table></section>
            <section class="card" aria-labelledby="h-size"><h2 id="h-size">Sizes</h2>{sizes}</section>
            <section class="card wide" aria-labelledby="h-big"><h2 id="h-big">Largest sessions</h2>
            <table data-table="largest"><caption>The {snapshot.Largest.Count} largest sessions and their biggest fields</caption>
            <thead><tr><th scope="col">session</th><th scope="col">user</th><th scope="col" class="num">size (#s)</th><th scope="col">biggest fields (stored bytes)</th><th scope="col">last seen</th></tr></thead>
            <tbody>{largest}</tbody></table></section>
            <section class="card" aria-labelledby="h-users"><h2 id="h-users">Users with most sessions</h2>
            <table><thead><tr><th scope="col">user</th><th scope="col" class="num">sessions</th></tr></thead><tbody>{topUsers}</tbody></table></section>
            <section class="card" aria-labelledby="h-keys"><h2 id="h-keys">Other keys under <code>{c.State.KeyPrefix}</code></h2>
            <table><tbody>
            <tr><th scope="row">user indexes</th><td class="num">{Format.Count(s.UserIndexes)}</td></tr>
            <tr><th scope="row">session locks</th><td class="num">{Format.Count(s.Locks)}</td></tr>
            <tr><th scope="row">analytics</th><td class="num">{Format.Count(s.Analytics)}</td></tr>
            <tr><th scope="row">not Tessera's</th><td class="num">{Format.Count(s.Foreign)}</td></tr>
            </tbody></table></section>
            </div>
            """);
        return new Reply(200, "Overview", string.Empty, body);
    }

    private static Html UserLink(Context c, string? user) =>
        user is null ? Html.Raw("<span class=\"help\">anonymous</span>") : Html.Of($"<a href=\"{Query(c.Base, "/users", ("user", user))}\">{user}</a>");
}
