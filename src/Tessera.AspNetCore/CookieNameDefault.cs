using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore;

/// <summary>The default session cookie name: <c>__Host-Tessera</c> wherever the prefix's rules hold, else <c>.Tessera</c>.</summary>
internal sealed class CookieNameDefault : IPostConfigureOptions<TesseraSessionOptions>
{
    public void PostConfigure(string? name, TesseraSessionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Cookie is { Name: TesseraSessionOptions.DefaultCookieName } cookie)
        {
            cookie.Name = Choose(cookie);
        }
    }

    /// <summary>The default name for a cookie's settings.</summary>
    /// <param name="cookie">The cookie.</param>
    /// <returns>The name.</returns>
    public static string Choose(CookieBuilder cookie) =>
        cookie.SecurePolicy == CookieSecurePolicy.Always && cookie.Path is null or "/" && string.IsNullOrEmpty(cookie.Domain)
            ? TesseraSessionOptions.DefaultCookieName
            : TesseraSessionOptions.FallbackCookieName;
}
