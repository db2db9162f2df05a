using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Tessera.AspNetCore.Migration;

/// <summary>
/// Turns a stock <c>AddSession()</c> session into a Tessera session on the first request that carries
/// only the stock cookie. The cookie is unprotected as the stock middleware protects it (Data
/// Protection, purpose <c>SessionMiddleware</c>, base64 without padding, a 36-character key), the
/// blob is read through the app's <see cref="IDistributedCache"/> and decoded
/// (<see cref="StockSessionFormat"/>), a Tessera session is created with the same values, then the
/// old entry is removed and the old cookie deleted. One short-lived marker key per stock session
/// (<c>SET NX</c>) makes parallel first requests of one browser agree on one Tessera session.
/// Every failure is logged and the request goes on as before (the stock cookie stays, so a later
/// request tries again), except a cookie that cannot be unprotected or names no entry: that one is
/// deleted, so it is not tried on every request.
/// </summary>
internal sealed partial class StockSessionMigrator
{
    /// <summary>What the stock SessionMiddleware passes to CreateProtector.</summary>
    public const string ProtectorPurpose = "SessionMiddleware";

    private const int StockKeyLength = 36;
    private static readonly TimeSpan MarkerLifetime = TimeSpan.FromMinutes(1);

    private readonly RedisSessionStore _store;
    private readonly TesseraSessionOptions _options;
    private readonly IDistributedCache _cache;
    private readonly IDataProtector _protector;
    private readonly ILogger _logger;

    public StockSessionMigrator(RedisSessionStore store, TesseraSessionOptions options, IDistributedCache cache, IDataProtectionProvider dataProtection, ILogger logger)
    {
        _store = store;
        _options = options;
        _cache = cache;
        _protector = dataProtection.CreateProtector(ProtectorPurpose);
        _logger = logger;
        CookieName = options.StockSessionMigration.CookieName;
    }

    /// <summary>The stock cookie's name.</summary>
    public string CookieName { get; }

    /// <summary>
    /// Migrates the request's stock session, if it carries the stock cookie. Call only for requests
    /// without a Tessera cookie.
    /// </summary>
    /// <param name="context">The request.</param>
    /// <returns>The Tessera session id now holding the values (its cookie is on the response), or <see langword="null"/>.</returns>
    public async ValueTask<string?> TryMigrateAsync(HttpContext context)
    {
        if (!context.Request.Cookies.TryGetValue(CookieName, out var raw) || string.IsNullOrEmpty(raw))
        {
            return null;
        }

        var ct = context.RequestAborted;
        try
        {
            if (Unprotect(raw) is not { } stockKey)
            {
                LogUnreadableCookie(_logger);
                DeleteStockCookie(context);
                return null;
            }

            var tag = SessionIds.LogTag(stockKey);
            var db = await _store.Connection.GetDatabaseAsync().ConfigureAwait(false);
            var marker = MarkerKey(stockKey);
            var id = SessionIds.NewId();
            if (!await db.StringSetAsync(marker, id, MarkerLifetime, When.NotExists).WaitAsync(_options.OperationTimeout, ct).ConfigureAwait(false))
            {
                // A parallel request of the same browser is migrating (or has migrated) this session.
                // Wait (within the operation bound) until its session exists, so this request sees the values too.
                var other = (string?)await db.StringGetAsync(marker).WaitAsync(_options.OperationTimeout, ct).ConfigureAwait(false);
                if (other is null || !SessionIds.IsValid(other))
                {
                    return null;
                }

                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                while (!await db.KeyExistsAsync(_store.KeyFor(other)).WaitAsync(_options.OperationTimeout, ct).ConfigureAwait(false))
                {
                    if (System.Diagnostics.Stopwatch.GetElapsedTime(started) > _options.OperationTimeout || !await db.KeyExistsAsync(marker).WaitAsync(_options.OperationTimeout, ct).ConfigureAwait(false))
                    {
                        return null; // the other request failed or is stuck: go on as before, a later request tries again
                    }

                    await Task.Delay(10, ct).ConfigureAwait(false);
                }

                IssueCookies(context, other);
                return other;
            }

            byte[]? blob;
            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(_options.OperationTimeout);
                blob = await _cache.GetAsync(stockKey, timeout.Token).ConfigureAwait(false);
            }

            if (blob is null || !StockSessionFormat.TryDecode(blob, out var entries))
            {
                LogNothingToMigrate(_logger, tag, blob is null ? "no entry (expired)" : "not the stock serialization");
                await db.KeyDeleteAsync(marker).WaitAsync(_options.OperationTimeout, ct).ConfigureAwait(false);
                DeleteStockCookie(context);
                return null;
            }

            var changes = new SessionChanges();
            foreach (var (key, value) in entries)
            {
                changes.Set(key, value);
            }

            var write = new SessionWrite
            {
                ClientIp = ClientBinding.AddressOf(context),
                UserAgent = ClientBinding.Normalize(context.Request.Headers.UserAgent),
            };
            var result = await _store.CreateAsync(id, changes, write, ct).ConfigureAwait(false);
            if (result.Status != CommitStatus.Committed)
            {
                LogMigrationFailed(_logger, tag, result.Status.ToString(), null);
                await db.KeyDeleteAsync(marker).WaitAsync(_options.OperationTimeout, ct).ConfigureAwait(false);
                return null;
            }

            using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                timeout.CancelAfter(_options.OperationTimeout);
                await _cache.RemoveAsync(stockKey, timeout.Token).ConfigureAwait(false);
            }

            IssueCookies(context, id);
            LogMigrated(_logger, tag, SessionIds.LogTag(id), entries.Count);
            return id;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Degrade: the request goes on without the old values; the stock cookie stays for a later try.
            LogMigrationFailed(_logger, "?", ex.GetType().Name, ex);
            return null;
        }
    }

    private string? Unprotect(string cookie)
    {
        try
        {
            var padded = cookie.Length % 4 == 0 ? cookie : cookie + new string('=', 4 - (cookie.Length % 4));
            var key = Encoding.UTF8.GetString(_protector.Unprotect(Convert.FromBase64String(padded)));
            return key.Length == StockKeyLength ? key : null;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return null;
        }
    }

    private RedisKey MarkerKey(string stockKey)
    {
        // The stock key is a bearer credential too: only a hash of it is written.
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(stockKey), hash);
        return string.Concat(_store.Options.KeyPrefix, "migrated:", Convert.ToHexStringLower(hash[..16]));
    }

    private void IssueCookies(HttpContext context, string id)
    {
        var cookie = _options.Cookie;
        context.Response.Cookies.Append(cookie.Name!, id, cookie.Build(context));
        DeleteStockCookie(context);
        var headers = context.Response.Headers;
        headers.CacheControl = "no-cache,no-store";
        headers.Pragma = "no-cache";
    }

    private void DeleteStockCookie(HttpContext context) =>
        context.Response.Cookies.Delete(CookieName, new CookieOptions { Path = "/", HttpOnly = true, Secure = context.Request.IsHttps });

    [LoggerMessage(60, LogLevel.Information, "Stock session {StockTag} migrated to Tessera session {SessionTag} ({Count} values).")]
    private static partial void LogMigrated(ILogger logger, string stockTag, string sessionTag, int count);

    [LoggerMessage(61, LogLevel.Debug, "Stock session {StockTag}: nothing to migrate ({Reason}); the stock cookie was deleted.")]
    private static partial void LogNothingToMigrate(ILogger logger, string stockTag, string reason);

    [LoggerMessage(62, LogLevel.Debug, "A stock session cookie could not be unprotected (other Data Protection keys, or forged); it was deleted.")]
    private static partial void LogUnreadableCookie(ILogger logger);

    [LoggerMessage(63, LogLevel.Warning, "Stock session {StockTag} could not be migrated ({Reason}); the request goes on without it and a later one tries again.")]
    private static partial void LogMigrationFailed(ILogger logger, string stockTag, string reason, Exception? exception);
}
