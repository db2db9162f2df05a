using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http;

namespace Tessera.AspNetCore;

/// <summary>Options of Tessera's <see cref="ISession"/> for ASP.NET Core: the store options plus the cookie and error responses.</summary>
public class TesseraSessionOptions : TesseraOptions
{
    /// <summary>The default cookie name.</summary>
    public const string DefaultCookieName = ".Tessera";

    /// <summary>
    /// The session cookie: HttpOnly, Secure, SameSite=Lax, path <c>/</c> by default. A name that
    /// starts with <c>__Host-</c> requires Secure, path <c>/</c> and no domain, and is checked at start-up.
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

    /// <summary>The status code sent when Redis cannot be reached in time.</summary>
    /// <value>Default 503.</value>
    [Range(500, 599)]
    public int UnavailableStatusCode { get; set; } = StatusCodes.Status503ServiceUnavailable;

    /// <summary>The <c>Retry-After</c> seconds sent with the unavailable response.</summary>
    /// <value>Default 1.</value>
    [Range(0, 3600)]
    public int RetryAfterSeconds { get; set; } = 1;
}
