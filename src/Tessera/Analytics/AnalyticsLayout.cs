using System.Globalization;

namespace Tessera.Analytics;

/// <summary>
/// Where the analytics live in Redis, written in one place for the observer, the dashboard and the
/// CLI. Every key is under <c>{KeyPrefix}analytics:</c>, so the application's ACL pattern
/// (<c>~session:*</c>) already covers it and admin scans can tell these keys from sessions.
/// </summary>
public static class AnalyticsLayout
{
    /// <summary>The segment after the session prefix: <c>analytics:</c>.</summary>
    public const string Segment = "analytics:";

    /// <summary>Counter field of sessions created.</summary>
    public const string Created = "created";

    /// <summary>Counter field of sign-ins (a rotation or creation that binds a user).</summary>
    public const string Logins = "login";

    /// <summary>Counter field of identifier rotations.</summary>
    public const string Rotated = "rotated";

    /// <summary>Counter field of revocations.</summary>
    public const string Revoked = "revoked";

    /// <summary>Counter field of logouts.</summary>
    public const string Destroyed = "destroyed";

    /// <summary>Counter field of sessions found past their absolute deadline by a read.</summary>
    public const string Expired = "expired";

    /// <summary>Counter field of requests refused by client binding.</summary>
    public const string BindingRejected = "binding_rejected";

    /// <summary>Separates a counter from its minute in a per-minute field: <c>login@13:05</c>.</summary>
    public const char MinuteSeparator = '@';

    /// <summary>How long a day's hash is kept: 8 days, so 7 whole days are always there.</summary>
    public static readonly TimeSpan DayRetention = TimeSpan.FromDays(8);

    /// <summary>The counters, in display order.</summary>
    public static IReadOnlyList<string> Counters { get; } = [Created, Logins, Rotated, Revoked, Destroyed, Expired, BindingRejected];

    /// <summary>The prefix of every analytics key.</summary>
    /// <param name="keyPrefix">The sessions' key prefix.</param>
    /// <returns><c>{keyPrefix}analytics:</c>.</returns>
    public static string PrefixOf(string keyPrefix) => string.Concat(keyPrefix, Segment);

    /// <summary>The hash of one UTC day's counters.</summary>
    /// <param name="keyPrefix">The sessions' key prefix.</param>
    /// <param name="day">The UTC day.</param>
    /// <returns><c>{keyPrefix}analytics:day:2026-12-01</c>.</returns>
    public static string DayKey(string keyPrefix, DateOnly day) =>
        string.Concat(keyPrefix, Segment, "day:", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    /// <summary>The capped stream of lifecycle events.</summary>
    /// <param name="keyPrefix">The sessions' key prefix.</param>
    /// <returns><c>{keyPrefix}analytics:events</c>.</returns>
    public static string StreamKey(string keyPrefix) => string.Concat(keyPrefix, Segment, "events");

    /// <summary>The sorted set of live-session counts the dashboard records after each scan (score: unix ms).</summary>
    /// <param name="keyPrefix">The sessions' key prefix.</param>
    /// <returns><c>{keyPrefix}analytics:samples</c>.</returns>
    public static string SamplesKey(string keyPrefix) => string.Concat(keyPrefix, Segment, "samples");

    /// <summary>The per-minute field of a counter.</summary>
    /// <param name="counter">The counter.</param>
    /// <param name="at">The time (UTC).</param>
    /// <returns><c>{counter}@HH:mm</c>.</returns>
    public static string MinuteField(string counter, DateTimeOffset at) =>
        string.Concat(counter, "@", at.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture));

    /// <summary>The counters an event adds to (none for events that are not counted).</summary>
    /// <param name="sessionEvent">The event.</param>
    /// <returns>Zero, one or two counter names.</returns>
    public static IReadOnlyList<string> CountersOf(in TesseraEvent sessionEvent) => sessionEvent.Kind switch
    {
        // A creation or rotation that carries a user is a sign-in (SignInAsync rotates, or creates when
        // there was no session yet). A rotation of an already signed-in session counts too: the event
        // does not say whether the user was bound before.
        TesseraEventKind.Created when sessionEvent.UserId is not null => [Created, Logins],
        TesseraEventKind.Created => [Created],
        TesseraEventKind.Rotated when sessionEvent.UserId is not null => [Rotated, Logins],
        TesseraEventKind.Rotated => [Rotated],
        TesseraEventKind.Revoked => [Revoked],
        TesseraEventKind.Destroyed => [Destroyed],
        TesseraEventKind.ExpiredOnRead => [Expired],
        TesseraEventKind.BindingRejected => [BindingRejected],
        _ => [],
    };
}
