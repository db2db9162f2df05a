using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Tessera.AspNetCore;

/// <summary>Checks <see cref="TesseraSessionOptions"/> at start-up; a bad option stops the app with a message that names it.</summary>
internal sealed class TesseraSessionOptionsValidator(Configuration.TesseraOptionsSource source) : IValidateOptions<TesseraSessionOptions>
{
    private static readonly TesseraOptionsValidator Core = new();
    private static readonly System.Buffers.SearchValues<char> HeaderNameChars = System.Buffers.SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "Cookie", "Set-Cookie", "Host", "Connection", "Content-Length", "Content-Type", "Transfer-Encoding", "Authorization", "Proxy-Authorization", "Upgrade", "TE", "Trailer", "Keep-Alive", "Forwarded", "X-Forwarded-For",
    };

    private static readonly System.Buffers.SearchValues<char> CookieNameForbidden = System.Buffers.SearchValues.Create("=;, \t\r\n\"()<>@:\\/[]?{}");

    public ValidateOptionsResult Validate(string? name, TesseraSessionOptions options)
    {
        var result = ValidateCore(name, options);
        if (!result.Failed || source.SectionPath is null)
        {
            return result;
        }

        var named = new ValidateOptionsResultBuilder();
        foreach (var failure in result.Failures)
        {
            named.AddError(source.Name(failure));
        }

        return named.Build();
    }

    private static ValidateOptionsResult ValidateCore(string? name, TesseraSessionOptions options)
    {
        var builder = new ValidateOptionsResultBuilder();
        builder.AddResult(Core.Validate(name, options));
        var cookie = options.Cookie;
        if (cookie is null)
        {
            builder.AddError("Cookie must be set.", nameof(TesseraSessionOptions.Cookie));
            return builder.Build();
        }

        if (string.IsNullOrWhiteSpace(cookie.Name) || cookie.Name.AsSpan().IndexOfAny(CookieNameForbidden) >= 0)
        {
            builder.AddError($"Cookie.Name '{cookie.Name}' is not a valid cookie name.", "Cookie.Name");
        }
        else if (cookie.Name.StartsWith("__Host-", StringComparison.Ordinal))
        {
            if (cookie.SecurePolicy != CookieSecurePolicy.Always)
            {
                builder.AddError("A '__Host-' cookie must be Secure: set Cookie.SecurePolicy to Always.", "Cookie.SecurePolicy");
            }

            if (cookie.Path != "/")
            {
                builder.AddError("A '__Host-' cookie must have Path '/'.", "Cookie.Path");
            }

            if (cookie.Domain is not null)
            {
                builder.AddError("A '__Host-' cookie must not set a Domain.", "Cookie.Domain");
            }
        }
        else if (cookie.Name.StartsWith("__Secure-", StringComparison.Ordinal) && cookie.SecurePolicy != CookieSecurePolicy.Always)
        {
            builder.AddError("A '__Secure-' cookie must be Secure: set Cookie.SecurePolicy to Always.", "Cookie.SecurePolicy");
        }

        if (cookie.SameSite == SameSiteMode.None && cookie.SecurePolicy != CookieSecurePolicy.Always)
        {
            builder.AddError("SameSite=None requires a Secure cookie: set Cookie.SecurePolicy to Always.", "Cookie.SameSite");
        }

        if (options.UnavailableStatusCode is < 500 or > 599)
        {
            builder.AddError($"UnavailableStatusCode {options.UnavailableStatusCode} is not a 5xx status.", nameof(TesseraSessionOptions.UnavailableStatusCode));
        }

        if (options.RetryAfterSeconds is < 0 or > 3600)
        {
            builder.AddError($"RetryAfterSeconds {options.RetryAfterSeconds} is outside 0..3600.", nameof(TesseraSessionOptions.RetryAfterSeconds));
        }

        if (options.Lock is { } sessionLock && sessionLock.FailureStatusCode is not (409 or 503))
        {
            builder.AddError($"Lock.FailureStatusCode {sessionLock.FailureStatusCode} must be 409 or 503.", "Lock.FailureStatusCode");
        }

        if (options.NewDevices is { } devices && (devices.RememberFor < TimeSpan.FromMinutes(1) || devices.RememberFor > TimeSpan.FromDays(400)))
        {
            builder.AddError($"NewDevices.RememberFor {devices.RememberFor} is outside 1 minute..400 days (browsers keep a cookie at most about 400 days).", "NewDevices.RememberFor");
        }

        if (options.StockSessionMigration is { Enabled: true } migration
            && (string.IsNullOrWhiteSpace(migration.CookieName) || migration.CookieName.AsSpan().IndexOfAny(CookieNameForbidden) >= 0 || migration.CookieName == cookie.Name))
        {
            builder.AddError($"StockSessionMigration.CookieName '{migration.CookieName}' must be the stock session's cookie name, a valid name other than Cookie.Name.", "StockSessionMigration.CookieName");
        }

        if (options.IdTransport is not (SessionIdTransport.Cookie or SessionIdTransport.Header or SessionIdTransport.Both))
        {
            builder.AddError($"IdTransport {(int)options.IdTransport} is not Cookie, Header or Both.", nameof(TesseraSessionOptions.IdTransport));
        }
        else if (options.IdTransport != SessionIdTransport.Cookie)
        {
            var header = options.HeaderName;
            if (string.IsNullOrEmpty(header) || header.Length > 64 || header.AsSpan().ContainsAnyExcept(HeaderNameChars))
            {
                builder.AddError($"HeaderName '{header}' is not a valid HTTP header name (1 to 64 token characters, such as '{TesseraSessionOptions.DefaultHeaderName}').", nameof(TesseraSessionOptions.HeaderName));
            }
            else if (ReservedHeaders.Contains(header))
            {
                builder.AddError($"HeaderName '{header}' is a header HTTP, cookies or proxies already use: choose a name of its own, such as '{TesseraSessionOptions.DefaultHeaderName}'.", nameof(TesseraSessionOptions.HeaderName));
            }

            if (options.IdTransport == SessionIdTransport.Header && options.StockSessionMigration is { Enabled: true })
            {
                builder.AddError("StockSessionMigration carries cookie sessions over; it needs IdTransport Cookie or Both, not Header.", "StockSessionMigration.Enabled");
            }
        }

        if (options.ConnectionStringName is { } connectionName && string.IsNullOrWhiteSpace(connectionName))
        {
            builder.AddError("ConnectionStringName is empty: give the name of a connection string under ConnectionStrings, or remove it.", nameof(TesseraSessionOptions.ConnectionStringName));
        }

        if (options.ClientBinding is { } binding && (binding.IPv4PrefixLength is < 0 or > 32 || binding.IPv6PrefixLength is < 0 or > 128))
        {
            builder.AddError("ClientBinding prefix lengths must be 0..32 (IPv4PrefixLength) and 0..128 (IPv6PrefixLength).", "ClientBinding");
        }

        return builder.Build();
    }
}
