using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http;

namespace Tessera.AspNetCore;

/// <summary>Options of Tessera's <see cref="ISession"/> for ASP.NET Core: the store options plus the cookie and error responses.</summary>
public class TesseraSessionOptions : TesseraOptions
{
    /// <summary>
    /// The default cookie name, used when the cookie is Secure with path <c>/</c> and no domain: the
    /// <c>__Host-</c> prefix makes browsers refuse a cookie of that name set by a sibling subdomain
    /// or over plain HTTP, so nobody can toss a session cookie in beside yours.
    /// </summary>
    public const string DefaultCookieName = "__Host-Tessera";

    /// <summary>The default cookie name when the cookie cannot carry the <c>__Host-</c> prefix (not always Secure, another path, a domain).</summary>
    public const string FallbackCookieName = ".Tessera";

    /// <summary>
    /// The name of a connection string under the app's <c>ConnectionStrings</c> section (for example
    /// <c>redis</c> for <c>ConnectionStrings:redis</c>, where .NET Aspire also puts it) that becomes
    /// <see cref="TesseraOptions.Configuration"/> when that is not set.
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? ConnectionStringName { get; set; }

    /// <summary>
    /// The session cookie: HttpOnly, Secure, SameSite=Lax, path <c>/</c> by default, named
    /// <see cref="DefaultCookieName"/>; left with that name on a cookie that cannot carry the prefix
    /// (not always Secure, another path, a domain), it is named <see cref="FallbackCookieName"/>. A name that starts with <c>__Host-</c> requires Secure,
    /// path <c>/</c> and no domain, and is checked at start-up.
    /// </summary>
    public CookieBuilder Cookie { get; set; } = new()
    {
        Name = DefaultCookieName,
        HttpOnly = true,
        SameSite = SameSiteMode.Lax,
        SecurePolicy = CookieSecurePolicy.Always,
        Path = "/",
        IsEssential = true,
    };

    /// <summary>The default <see cref="HeaderName"/>.</summary>
    public const string DefaultHeaderName = "Tessera-Session";

    /// <summary>
    /// Where the session identifier travels: the cookie (browsers), a request and response header (API,
    /// single-page and mobile clients that keep the id themselves), or both. The id is checked, hashed,
    /// bound, rotated and revoked the same way whichever way it came. With a header, a browser sends no
    /// ambient credential (cross-site request forgery needs one), but the id sits where page script can
    /// read it (cross-site scripting can steal it); see docs/security.md.
    /// </summary>
    /// <value>Default <see cref="SessionIdTransport.Cookie"/>.</value>
    public SessionIdTransport IdTransport { get; set; } = SessionIdTransport.Cookie;

    /// <summary>
    /// The request and response header that carries the session identifier when <see cref="IdTransport"/> is
    /// <see cref="SessionIdTransport.Header"/> or <see cref="SessionIdTransport.Both"/>. A new or rotated id
    /// is sent in the response header of this name; after a logout its value is empty. A browser script
    /// behind CORS reads it only when the policy exposes it (<c>Access-Control-Expose-Headers</c>).
    /// </summary>
    /// <value>Default <see cref="DefaultHeaderName"/> (<c>Tessera-Session</c>).</value>
    public string HeaderName { get; set; } = DefaultHeaderName;

    /// <summary>Optional binding of sessions to the client address or subnet and user agent.</summary>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public ClientBindingOptions ClientBinding { get; set; } = new();

    /// <summary>The optional per-session lock.</summary>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public SessionLockOptions Lock { get; set; } = new();

    /// <summary>
    /// Whether a request that carries a valid cookie but never uses the session still slides its idle
    /// expiry, as the stock session does (a user browsing pages that do not use the session keeps it).
    /// The slide costs the request nothing: at most one background refresh per session per refresh
    /// granularity per app instance, through a script that cannot create a key or lengthen a
    /// tombstone. Off for the pure zero-command path; skipped when client binding is on (a request from
    /// elsewhere must not keep someone's session alive).
    /// </summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool SlideUntouchedSessions { get; set; } = true;

    /// <summary>
    /// Whether the middleware reads a request's session before the endpoint runs, so the endpoint's
    /// synchronous <c>ISession</c> reads block no thread (see <see cref="SessionPreload"/>). The read ahead
    /// happens after the session lock, when the endpoint takes one.
    /// </summary>
    /// <value>Default <see cref="SessionPreload.SynchronousEndpoints"/>.</value>
    public SessionPreload Preload { get; set; } = SessionPreload.SynchronousEndpoints;

    /// <summary>New-device detection at sign-in: the <see cref="TesseraEventKind.NewDevice"/> event (off by default).</summary>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public NewDeviceOptions NewDevices { get; set; } = new();

    /// <summary>Migration of sessions from the stock <c>AddSession()</c> (off by default; see docs/migration.md).</summary>
    public StockSessionMigrationOptions StockSessionMigration { get; set; } = new();

    /// <summary>What a request's session does when Redis cannot be reached in time (see <see cref="AspNetCore.OutagePolicy"/>).</summary>
    /// <value>Default <see cref="OutagePolicy.Fail"/>: 503.</value>
    public OutagePolicy OutagePolicy { get; set; } = OutagePolicy.Fail;

    /// <summary>The status code sent when Redis cannot be reached in time.</summary>
    /// <value>Default 503.</value>
    [Range(500, 599)]
    public int UnavailableStatusCode { get; set; } = StatusCodes.Status503ServiceUnavailable;

    /// <summary>The <c>Retry-After</c> seconds sent with the unavailable response.</summary>
    /// <value>Default 1.</value>
    [Range(0, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;
}
