using System.ComponentModel.DataAnnotations;

namespace Tessera.Analytics;

/// <summary>What <see cref="TesseraAnalytics"/> records.</summary>
public sealed class TesseraAnalyticsOptions
{
    /// <summary>
    /// Whether to also append every lifecycle event to a capped Redis Stream (<c>XADD MAXLEN ~</c>),
    /// for the dashboard's live feed and <c>tessera watch --events</c>. Needs a server with streams
    /// (Redis 5+; not Garnet) and, with the ACL of <c>deploy/redis-sessions.conf</c>, <c>+xadd</c> for the app user.
    /// </summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool EventStream { get; set; }

    /// <summary>About how many events the stream keeps (trimmed approximately, as <c>MAXLEN ~</c> does).</summary>
    /// <value>Default 10,000.</value>
    [Range(100, 10_000_000)]
    public int StreamMaxLength { get; set; } = 10_000;
}
