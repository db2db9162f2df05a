using Microsoft.AspNetCore.Http;
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
        var f = snapshot.Figures;
        var s = snapshot.Stats;
        var now = snapshot.At;
        var used = f.Memory.Sum(static m => m.UsedBytes);
        var max = f.Memory.Sum(static m => m.MaxBytes);
        var reported = f.Memory.Any(static m => m.UsedHuman is not null || m.UsedBytes > 0);
        var policies = f.Memory.All(static m => m.Policy is null)
            ? "not reported"
            : string.Join(", ", f.Memory.Select(static m => m.Policy ?? "?").Distinct(StringComparer.Ordinal));

        var figures = Html.Of($"""
            <dl class="figures" aria-label="Figures">
            <div><dt>Sessions now</dt><dd data-figure="sessions" {Bounds(f.Sessions)}>{Approx(f.Sessions)}{Margin(f.Sessions)}</dd></div>
            <div><dt>Signed-in users</dt><dd data-figure="users" {Bounds(f.Users)}>{Approx(f.Users)}<small>{Approx(f.WithUser)} sessions bound to a user{(f.IsExact ? string.Empty : "; users counted by their user index")}</small></dd></div>
            <div><dt>Rotation tombstones</dt><dd data-figure="tombstones" {Bounds(f.Tombstones)}>{Approx(f.Tombstones)}{Margin(f.Tombstones)}</dd></div>
            <div><dt>TTL-less sessions</dt><dd data-figure="ttl-less" {Bounds(f.TtlLess)}>{Approx(f.TtlLess)}{Margin(f.TtlLess)}<small><a href="{c.Base}/cleanup">clean up</a></small></dd></div>
            <div><dt>Memory used</dt><dd data-figure="memory" data-value="{used}">{(reported ? Format.Bytes(used) : "-")}<small>{(reported ? "maxmemory " + (max == 0 ? "unlimited" : Format.Bytes(max)) : "not reported by this server")}</small></dd></div>
            <div><dt>Evicted keys</dt><dd data-figure="evictions" data-value="{snapshot.Live.EvictedKeys}">{Format.Count(snapshot.Live.EvictedKeys)}<small>since the server started</small></dd></div>
            <div><dt>Eviction policy</dt><dd data-figure="policy" style="font-size:1.1rem">{policies}</dd></div>
            </dl>
            """);

        var ttlRows = Html.Join(f.TtlHistogram.Select(static b => Html.Of($"<tr><th scope=\"row\">{b.Label}</th><td class=\"num\" {Bounds(b.Count)}>{Approx(b.Count)}{Margin(b.Count)}</td></tr>")));
        var ttlChart = Charts.Bars("ttl", "Sessions by remaining TTL", [.. f.TtlHistogram.Select(static b => (b.Label, Round(b.Count.Value)))], "sessions");
        var sizes = Html.Of($"""
            <table data-table="sizes"><caption>Session size (#s), {(f.IsExact ? Format.Count(f.SampledSessions) + " sessions" : "from " + Format.Count(f.SampledSessions) + " sampled sessions, with the 95% interval of each percentile")}</caption>
            <thead><tr><th scope="col">percentile</th><th scope="col" class="num">bytes</th></tr></thead>
            <tbody>
            <tr><th scope="row">median</th><td class="num" data-size="p50">{Round(f.SizeP50.Value)}{Range(f.SizeP50)}</td></tr>
            <tr><th scope="row">90th</th><td class="num" data-size="p90">{Round(f.SizeP90.Value)}{Range(f.SizeP90)}</td></tr>
            <tr><th scope="row">99th</th><td class="num" data-size="p99">{Round(f.SizeP99.Value)}{Range(f.SizeP99)}</td></tr>
            <tr><th scope="row">{(f.IsExact ? "largest" : "largest sampled")}</th><td class="num" data-size="max">{f.SizeMaxSampled}</td></tr>
            <tr><th scope="row">total</th><td class="num">{(f.IsExact ? string.Empty : "≈ ")}{Format.Bytes(Round(f.SizeTotal))}</td></tr>
            </tbody></table>
            """);

        var largest = Html.Join(snapshot.Largest.Select(d => Html.Of($"""
            <tr><td class="mono">{d.Summary.Tag}</td><td>{UserLink(c, d.Summary.UserId)}</td><td class="num">{Format.Bytes(d.Summary.Size)}</td>
            <td>{Html.Join(d.Fields.OrderByDescending(static f => f.StoredBytes).Take(3).Select(static f => Html.Of($"<code>{f.Key}</code> {Format.Bytes(f.StoredBytes)}<br>")))}</td>
            <td>{Format.Ago(d.Summary.LastAccess, now)}</td></tr>
            """)));
        var topUsers = Html.Join((s?.TopUsers ?? []).Select(u => Html.Of($"<tr><td>{UserLink(c, u.UserId)}</td><td class=\"num\">{Format.Count(u.Sessions)}</td></tr>")));

        // Charts over time: live sessions from the samples each scan records, sign-ins from the analytics counters.
        var samples = await parts.Analytics.ReadSamplesAsync(now.AddDays(-7), c.Aborted).ConfigureAwait(false);
        var lastHour = samples.Where(p => p.At >= now.AddHours(-1)).ToList();
        var loginsMinutes = await parts.Analytics.ReadMinutesAsync(AnalyticsLayout.Logins, now, 60, c.Aborted).ConfigureAwait(false);
        var days = await parts.Analytics.ReadDaysAsync(DateOnly.FromDateTime(now.UtcDateTime), 7, c.Aborted).ConfigureAwait(false);
        var analyticsNote = c.State.Analytics is null
            ? Html.Of($"<p class=\"help\">Sign-ins are counted by <code>services.AddTesseraAnalytics()</code>, which this app has not called: the sign-in charts stay empty.</p>")
            : Html.Empty;

        var body = Html.Of($"""
            {Basis(c, snapshot)}
            {FullScanCard(c, f)}
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
            <table data-table="largest"><caption>{(s is null ? "Listed after a full scan (a sample cannot tell which sessions are the largest of all)" : $"The {snapshot.Largest.Count} largest sessions and their biggest fields")}</caption>
            <thead><tr><th scope="col">session</th><th scope="col">user</th><th scope="col" class="num">size (#s)</th><th scope="col">biggest fields (stored bytes)</th><th scope="col">last seen</th></tr></thead>
            <tbody>{largest}</tbody></table></section>
            <section class="card" aria-labelledby="h-users"><h2 id="h-users">Users with most sessions</h2>
            <table><caption>{(s is null ? "Listed after a full scan" : "From the full scan")}</caption><thead><tr><th scope="col">user</th><th scope="col" class="num">sessions</th></tr></thead><tbody>{topUsers}</tbody></table></section>
            <section class="card" aria-labelledby="h-keys"><h2 id="h-keys">Other keys under <code>{c.State.KeyPrefix}</code></h2>
            <table><tbody>
            <tr><th scope="row">user indexes</th><td class="num">{Approx(f.UserIndexes)}{Margin(f.UserIndexes)}</td></tr>
            <tr><th scope="row">session locks</th><td class="num">{Approx(f.Locks)}{Margin(f.Locks)}</td></tr>
            <tr><th scope="row">analytics</th><td class="num">{Approx(f.Analytics)}{Margin(f.Analytics)}</td></tr>
            <tr><th scope="row">not Tessera's</th><td class="num">{Approx(f.Foreign)}{Margin(f.Foreign)}</td></tr>
            {(f.IsExact ? Html.Empty : Html.Of($"<tr><th scope=\"row\">outside the prefix (whole database)</th><td class=\"num\">{Approx(f.Outside)}{Margin(f.Outside)}</td></tr>"))}
            </tbody></table></section>
            </div>
            """);
        return new Reply(200, "Overview", string.Empty, body, Refresh: c.State.FullScan.State == FullScanState.Running ? 2 : null);
    }

    /// <summary>Where the figures come from, and how exact they are.</summary>
    private static Html Basis(Context c, OverviewSnapshot snapshot)
    {
        var f = snapshot.Figures;
        var reuse = $"Reused for {Format.Duration(c.State.Options.OverviewCacheDuration)}.";
        return f.IsExact
            ? Html.Of($"""<p class="help" data-basis="full">One paced <code>SCAN</code> of {Format.Count(f.SampledKeys)} keys (the same computation as <code>tessera stats</code>), finished {Format.Time(snapshot.At)}, took {Format.Duration(f.Elapsed)}. {reuse}</p>""")
            : Html.Of($"""
                <p class="help" data-basis="sample" data-sampled="{f.SampledKeys}" data-total="{f.TotalKeys}">Estimated from {Format.Count(f.SampledKeys)} keys sampled at random of {Format.Count(f.TotalKeys)} (<code>DBSIZE</code>): sessions ±{Percent(f.Sessions.RelativeMargin)} at 95%; each figure shows its own margin.
                Finished {Format.Time(snapshot.At)}, took {Format.Duration(f.Elapsed)}. {reuse}</p>
                """);
    }

    /// <summary>The full scan: start it, watch it, cancel it.</summary>
    private static Html FullScanCard(Context c, SessionEstimate f)
    {
        var scan = c.State.FullScan;
        var start = Html.Of($"""<form class="inline" method="post" action="{c.Base}/scan">{c.Antiforgery()}<input type="hidden" name="step" value="start"><button type="submit" class="secondary">Full scan</button></form>""");
        var resample = Html.Of($"""<form class="inline" method="get" action="{c.Base}"><input type="hidden" name="scan" value="now"><button type="submit" class="secondary">{(f.IsExact ? "Scan now" : "Sample again")}</button></form>""");
        switch (scan.State)
        {
            case FullScanState.Running:
                var p = scan.Progress;
                var done = p is { TotalKeys: > 0 } ? Math.Min(100, 100.0 * p.ScannedKeys / p.TotalKeys) : 0;
                return Html.Of($"""
                    <div class="card" data-full-scan="running"><p>Full scan running since {Format.Time(scan.Started)}: {Format.Count(p?.ScannedKeys ?? 0)} of about {Format.Count(p?.TotalKeys ?? 0)} keys ({done:0}%), {Format.Count(p?.Sessions ?? 0)} sessions so far. This page reloads every 2 s.</p>
                    <progress max="100" value="{Math.Round(done)}">{done:0}%</progress>
                    <form class="inline" method="post" action="{c.Base}/scan">{c.Antiforgery()}<input type="hidden" name="step" value="cancel"><button type="submit">Cancel the full scan</button></form></div>
                    """);
            case FullScanState.Cancelled or FullScanState.TimedOut or FullScanState.Failed:
                var why = scan.State switch
                {
                    FullScanState.Cancelled => "was cancelled",
                    FullScanState.TimedOut => $"stopped at the {Format.Duration(c.State.Options.ScanTimeout)} bound",
                    _ => "failed (see the log)",
                };
                return Html.Of($"""<p class="help" data-full-scan="{scan.State.ToString().ToLowerInvariant()}">The full scan started {Format.Time(scan.Started)} {why} after {Format.Count(scan.Progress?.ScannedKeys ?? 0)} keys. {resample} {start}</p>""");
            default:
                return Html.Of($"""<p class="help" data-full-scan="{scan.State.ToString().ToLowerInvariant()}">{resample} {start} {(f.IsExact ? string.Empty : "A full scan reads every key (paced, with progress, and can be cancelled) and lists the largest sessions and the busiest users.")}</p>""");
        }
    }

    private static async Task<Reply> FullScanActionAsync(Context c, IFormCollection form)
    {
        switch ((string?)form["step"])
        {
            case "start":
                var started = c.State.StartFullScan();
                if (started)
                {
                    DashboardLog.FullScanStarted(c.Logger, c.Operator);
                }

                return Reply.Redirect(c.Base);
            case "cancel":
                if (c.State.CancelFullScan())
                {
                    DashboardLog.FullScanCancelled(c.Logger, c.Operator);
                }

                return Reply.Redirect(c.Base);
            default:
                await Task.CompletedTask.ConfigureAwait(false);
                return Reply.BadRequest(string.Empty, "Full scan", "Unknown step: start or cancel a full scan from the overview.");
        }
    }

    private static long Round(double value) => (long)Math.Round(value, MidpointRounding.AwayFromZero);

    private static string Percent(double share) =>
        double.IsInfinity(share) ? "∞" : (share * 100).ToString(share < 0.1 ? "0.0" : "0", System.Globalization.CultureInfo.InvariantCulture) + "%";

    /// <summary>data-value (the estimate, rounded) and, for an estimate, data-low and data-high.</summary>
    private static Html Bounds(Estimate e) => e.Margin == 0
        ? Html.Of($"data-value=\"{Round(e.Value)}\"")
        : Html.Of($"data-value=\"{Round(e.Value)}\" data-low=\"{Math.Floor(e.Low).ToString(System.Globalization.CultureInfo.InvariantCulture)}\" data-high=\"{Math.Ceiling(e.High).ToString(System.Globalization.CultureInfo.InvariantCulture)}\"");

    private static string Approx(Estimate e) => (e.Margin == 0 ? string.Empty : "≈ ") + Format.Count(Round(e.Value));

    private static Html Margin(Estimate e) => e.Margin == 0
        ? Html.Empty
        : Html.Of($"<small>95%: {Format.Count((long)Math.Floor(e.Low))} to {Format.Count((long)Math.Ceiling(e.High))}</small>");

    private static Html Range(Estimate e) => e.Margin == 0
        ? Html.Empty
        : Html.Of($" <small>({Round(e.Low)}-{Round(e.High)})</small>");

    private static Html UserLink(Context c, string? user) =>
        user is null ? Html.Raw("<span class=\"help\">anonymous</span>") : Html.Of($"<a href=\"{Query(c.Base, "/users", ("user", user))}\">{user}</a>");
}
