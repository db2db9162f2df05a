using Tessera.Admin;

namespace Tessera.Dashboard;

/// <summary>How the dashboard is protected, connects and scans. Set with <c>AddTesseraDashboard(o => ...)</c>.</summary>
public sealed class DashboardOptions
{
    /// <summary>
    /// The name of the authorization policy every dashboard endpoint requires (applied by
    /// <c>MapTesseraDashboard</c>). Either this or a <c>.RequireAuthorization(...)</c> on the returned
    /// builder is needed, or the app refuses to start.
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? AuthorizationPolicy { get; set; }

    /// <summary>
    /// Serves the dashboard without any authorization, but only when the environment is Development;
    /// in any other environment the app refuses to start with this set and no policy.
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool AllowAnonymousInDevelopment { get; set; }

    /// <summary>
    /// A StackExchange.Redis configuration for the dashboard's own connection (an admin ACL user, for
    /// example <c>tessera-admin</c> of <c>deploy/redis-sessions.conf</c>); <c>allowAdmin=true</c> is added.
    /// <see langword="null"/>: the sessions' <c>TesseraOptions.Configuration</c> with <c>allowAdmin=true</c>,
    /// or the sessions' own multiplexer when they are given one by a factory.
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? AdminConfiguration { get; set; }

    /// <summary>How scans walk the keyspace (the same pacing as <c>tessera stats</c>: <c>SCAN COUNT 1000</c>, 5 ms pause every 10 batches).</summary>
    public AdminScanOptions Scan { get; set; } = new();

    /// <summary>How long an overview scan is reused before the next page view scans again (the page has a "scan now" button).</summary>
    /// <value>Default 30 seconds.</value>
    public TimeSpan OverviewCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// About how many keys the overview samples when the database holds more: its figures are then
    /// estimated (each with its 95% interval) from that many keys drawn at random, at the same cost
    /// whatever the keyspace's size; a full scan, started from the page, counts exactly. 0: every overview
    /// is a full scan. A smaller keyspace, and Garnet (whose scan order is not random), are scanned in full.
    /// </summary>
    /// <value>Default 10,000 (the share of sessions among all keys within ±2% at 95%, at worst).</value>
    public int OverviewSampleKeys { get; set; } = 10_000;

    /// <summary>The longest a scan may run before it is cancelled.</summary>
    /// <value>Default 2 minutes.</value>
    public TimeSpan ScanTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>How many of the largest sessions (with their biggest fields) the overview lists.</summary>
    /// <value>Default 5.</value>
    public int Top { get; set; } = 5;

    /// <summary>The page title.</summary>
    /// <value>Default "Tessera sessions".</value>
    public string Title { get; set; } = "Tessera sessions";

    /// <summary>Throws when a value is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A value is out of range.</exception>
    public void Validate()
    {
        Scan.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThan(OverviewCacheDuration, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(ScanTimeout, TimeSpan.FromSeconds(1));
        if (OverviewSampleKeys is not 0 and (< 1000 or > SessionAdmin.MaxSampleKeys))
        {
            throw new ArgumentOutOfRangeException(nameof(OverviewSampleKeys), OverviewSampleKeys, $"0 (always a full scan) or 1,000 to {SessionAdmin.MaxSampleKeys:N0}.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(Top, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Top, 100);
    }
}
