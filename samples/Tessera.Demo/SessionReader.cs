using System.Globalization;
using System.Text;
using StackExchange.Redis;
using Tessera.Admin;
using Tessera.AspNetCore;
using Tessera.Demo.Model;

namespace Tessera.Demo;

/// <summary>
/// Reads the request's session the way the page shows it: what the app sees through
/// <see cref="ITesseraSession"/>, and the raw hash and PTTL in Redis.
/// </summary>
internal sealed class SessionReader(RedisSessionStore store)
{
    /// <summary>How many characters of an identifier or handle the page shows (the whole id is a credential).</summary>
    public const int PrefixLength = 8;

    /// <summary>The key of the counter value.</summary>
    public const string CounterKey = "counter";

    /// <summary>The key of the one-time message between a POST and the page it redirects to.</summary>
    public const string FlashKey = "flash";

    /// <summary>The session key of the one-time code (a value with its own lifetime).</summary>
    public const string CodeKey = "code";

    private static readonly SessionMetadataField[] MetadataOrder =
    [
        SessionMetadataField.User, SessionMetadataField.Created, SessionMetadataField.LastAccess, SessionMetadataField.IdleMs,
        SessionMetadataField.Deadline, SessionMetadataField.Size, SessionMetadataField.ClientIp, SessionMetadataField.UserAgent,
        SessionMetadataField.AuthenticatedAt, SessionMetadataField.LastClientIp, SessionMetadataField.LastUserAgent, SessionMetadataField.Login,
        SessionMetadataField.IdIssued, SessionMetadataField.DeviceName, SessionMetadataField.SignInMethod,
    ];

    /// <summary>The shown prefix of an identifier.</summary>
    /// <param name="id">The identifier (or handle).</param>
    /// <returns>Its first 8 characters and an ellipsis.</returns>
    public static string Prefix(string id) => id.Length <= PrefixLength ? id : string.Concat(id.AsSpan(0, PrefixLength), "…");

    /// <summary>Reads the session of a request that has loaded it; <see langword="null"/> when there is none.</summary>
    /// <param name="session">The loaded session.</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The state.</returns>
    public async Task<SessionState?> ReadAsync(ITesseraSession session, CancellationToken cancellationToken)
    {
        await session.LoadAsync(cancellationToken);
        if (!session.Exists)
        {
            return null;
        }

        var id = session.Id;
        var stored = await ReadStoredAsync(id);
        IReadOnlyList<DeviceRow> devices = [];
        if (session.UserId is not null)
        {
            var sessions = await session.GetUserSessionsAsync(cancellationToken);
            devices = [.. sessions.Select(static i => new DeviceRow(i.Handle, i.IsCurrent, i.LinkedHandles.Count, i.Metadata))];
        }

        return new SessionState(Prefix(id), session.UserId, session.GetInt64(CounterKey), session.Metadata, stored, devices);
    }

    private async Task<StoredSession> ReadStoredAsync(string id)
    {
        try
        {
            return await ReadStoredCoreAsync(id);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            throw new TesseraUnavailableException("Redis did not answer HGETALL and PTTL.", ex);
        }
    }

    private async Task<StoredSession> ReadStoredCoreAsync(string id)
    {
        var db = await store.Connection.GetDatabaseAsync();
        var key = store.KeyFor(id);
        var hashTask = db.HashGetAllAsync(key);
        var ttlTask = db.ExecuteAsync("PTTL", key);
        var entries = await hashTask;
        var ttl = (long)await ttlTask;
        var fields = entries
            .Select(static e => Describe((string)e.Name!, (byte[])e.Value!))
            .OrderBy(static f => f.IsMetadata ? 1 : 0)
            .ThenBy(static f => SessionHashFields.MetadataOf(f.Field) is { } m && Array.IndexOf(MetadataOrder, m) is var i and >= 0 ? i : 99)
            .ThenBy(static f => f.Field, StringComparer.Ordinal)
            .ToList();
        // The key is named by the session's handle, not its id: it can be shown whole.
        return new StoredSession((string)key!, ttl, fields);
    }

    private static StoredField Describe(string field, byte[] value)
    {
        var text = Encoding.UTF8.GetString(value);
        if (SessionHashFields.MetadataOf(field) is { } metadata)
        {
            return metadata switch
            {
                SessionMetadataField.Created => new StoredField(field, "created", true, value.Length, Time(text)),
                SessionMetadataField.LastAccess => new StoredField(field, "last access (sliding refresh)", true, value.Length, Time(text)),
                SessionMetadataField.Deadline => new StoredField(field, "absolute deadline", true, value.Length, Time(text)),
                SessionMetadataField.IdleMs => new StoredField(field, "idle timeout", true, value.Length, Duration(text)),
                SessionMetadataField.Size => new StoredField(field, "size of the app's values", true, value.Length, text + " bytes"),
                SessionMetadataField.User => new StoredField(field, "user (index: session:user:…)", true, value.Length, Shorten(text)),
                SessionMetadataField.ClientIp => new StoredField(field, "client address (first seen)", true, value.Length, Shorten(text)),
                SessionMetadataField.UserAgent => new StoredField(field, "user agent (first seen)", true, value.Length, Shorten(text)),
                SessionMetadataField.AuthenticatedAt => new StoredField(field, "authenticated at (step-up measures from it)", true, value.Length, Time(text)),
                SessionMetadataField.LastClientIp => new StoredField(field, "client address last seen (with the sliding refresh)", true, value.Length, Shorten(text)),
                SessionMetadataField.LastUserAgent => new StoredField(field, "user agent last seen", true, value.Length, Shorten(text)),
                SessionMetadataField.Login => new StoredField(field, "login handle (one device with it)", true, value.Length, Shorten(text)),
                SessionMetadataField.IdIssued => new StoredField(field, "identifier issued (created or last rotated; renewal measures from it)", true, value.Length, Time(text)),
                SessionMetadataField.DeviceName => new StoredField(field, "device name (chosen by the user)", true, value.Length, Shorten(text)),
                SessionMetadataField.SignInMethod => new StoredField(field, "sign-in method (set by the app)", true, value.Length, Shorten(text)),
                _ => new StoredField(field, "Tessera metadata", true, value.Length, Shorten(text)),
            };
        }

        // A value with its own lifetime: header bit 2, then its deadline (8 bytes); past it, it is never shown.
        if (ValueCodec.ExpiresAt(value) is { } expiresAt)
        {
            var left = expiresAt - TimeProvider.System.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return new StoredField(field, "app value, expired (removed by the next load)", false, value.Length, $"expired at {Format.Time(expiresAt)}");
            }

            var shown = value[0] == ValueCodec.ExpiresFlag
                ? Shorten(Encoding.UTF8.GetString(value, 1 + ValueCodec.DeadlineSize, value.Length - 1 - ValueCodec.DeadlineSize))
                : $"{value.Length} bytes";
            return new StoredField(field, $"app value with a lifetime (expires in {Math.Ceiling(left.TotalSeconds)} s)", false, value.Length, shown);
        }

        // The app's values: a header byte (0 = plain), or decimal text for counters that HINCRBY changes in place.
        if (value.Length > 0 && value[0] == ValueCodec.Plain)
        {
            return new StoredField(field, "app value", false, value.Length, Shorten(Encoding.UTF8.GetString(value, 1, value.Length - 1)));
        }

        if (ValueCodec.IsCounter(value))
        {
            return new StoredField(field, "app counter (HINCRBY)", false, value.Length, text);
        }

        return new StoredField(field, "app value (encoded)", false, value.Length, $"{value.Length} bytes");
    }

    private static string Time(string ms) =>
        long.TryParse(ms, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? $"{v} = {Format.Time(DateTimeOffset.FromUnixTimeMilliseconds(v))}"
            : Shorten(ms);

    private static string Duration(string ms) =>
        long.TryParse(ms, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v)
            ? $"{v} ms = {Format.Duration(TimeSpan.FromMilliseconds(v))}"
            : Shorten(ms);

    private static string Shorten(string text) => InputRules.Echo(text, 80);
}
