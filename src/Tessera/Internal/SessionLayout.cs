namespace Tessera.Internal;

using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

/// <summary>
/// The one owner of Tessera's Redis layout (in the spirit of Spring Session's RedisSessionMapper):
/// key names, hash field names, the order metadata is read in, and the script status codes. The
/// store, the admin tools, the dashboard and the demo use it; the Lua scripts are built from it.
/// <list type="bullet">
/// <item>A session is the hash <c>{prefix}{handle}</c>, where the handle is
/// <see cref="SessionIds.Handle"/> of the identifier: the identifier itself never reaches Redis.</item>
/// <item>A user's index is the sorted set <c>{prefix}user:{userId}</c> of handles scored by absolute deadline.</item>
/// <item>A session's lock is <c>{prefix}lock:{handle}</c>; a "log out everywhere" mark <c>{prefix}revoked:{userId}</c>.</item>
/// <item>An identity provider session's logins are the set <c>{prefix}idp:{digest}</c>; a one-time claim <c>{prefix}once:{scope}:{digest}</c>.</item>
/// <item>"Everyone at once" is the string <c>{prefix}everyone-revoked</c>: unix ms (Redis <c>TIME</c>); every session and login created at or before it is dead.</item>
/// </list>
/// Maps caller keys to hash fields. Metadata fields start with one '#'; a caller key that starts
/// with '#' is stored with a second '#' in front, so no caller can ever write a metadata field.
/// </summary>
internal static class SessionLayout
{
    public const char Marker = '#';
    public const string Created = "#c";
    public const string LastAccess = "#a";
    public const string IdleMs = "#i";
    public const string Deadline = "#d";
    public const string Size = "#s";
    public const string User = "#u";
    public const string ClientIp = "#ip";
    public const string UserAgent = "#ua";
    public const string RotatedTo = "#r";
    public const string AuthenticatedAt = "#au";
    public const string Login = "#ln";
    public const string LastClientIp = "#lip";
    public const string LastUserAgent = "#lua";

    /// <summary>
    /// When the session's current identifier was issued, unix ms (Redis <c>TIME</c>): written by the Create
    /// script, so at creation and at every rotation (which keeps <see cref="Created"/>). The renewal timeout
    /// (<see cref="TesseraOptions.RenewalInterval"/>) measures from it. Stored only when it differs from
    /// <see cref="Created"/> (a rotated session): a new session's would repeat <see cref="Created"/> at 15 bytes
    /// of every session's memory, so absent means <see cref="Created"/>, which is also how a session written
    /// before the field existed is read (and why versions that always wrote it read sessions without it).
    /// </summary>
    public const string IdIssued = "#ii";

    /// <summary>The device's name, chosen by its user ("Work laptop"): cleaned (<see cref="DeviceText"/>), at most <see cref="DeviceText.MaxNameLength"/> characters.</summary>
    public const string DeviceName = "#n";

    /// <summary>How the user signed in on the device ("password", "passkey", "google"), set by the app: cleaned, at most <see cref="DeviceText.MaxMethodLength"/> characters.</summary>
    public const string SignInMethod = "#m";

    /// <summary>The value a write sends for <see cref="AuthenticatedAt"/> to mean "now, by Redis's clock".</summary>
    public const string Now = "*";

    /// <summary>
    /// The first character of a user-index member that is a companion: a session that belongs to a
    /// login (its <see cref="Login"/> names the login's handle), listed and revoked with it, and not
    /// counted against <see cref="TesseraOptions.MaxSessionsPerUser"/>. Not in the base64url alphabet.
    /// </summary>
    public const char CompanionMark = '~';

    /// <summary>
    /// What every caller field costs on top of its name and stored value, in the size Tessera keeps in
    /// <see cref="Size"/> and checks against <see cref="TesseraOptions.MaxSessionBytes"/>: 40 bytes, what
    /// Redis spends per field of a large hash. Measured with <c>MEMORY USAGE</c> on redis-server 7.0
    /// (jemalloc): a hash past <c>hash-max-listpack-entries</c> (128) or with a value over 64 bytes is a
    /// hash table, at 37 to 42 bytes per field beyond its bytes (1,000 and 8,100 fields of 2 and 30 bytes);
    /// a small listpack hash spends 5 to 11. The limit binds on large sessions, so it counts their cost:
    /// 8,100 one-byte values are 56 KB of names and values, take
    /// 390 KB in Redis and count as 380 KB.
    /// The scripts are built from this constant.
    /// </summary>
    public const int FieldOverhead = 40;

    /// <summary>The metadata fields in the order <see cref="SessionMetadataField"/> names them (one HMGET).</summary>
    public static readonly RedisValue[] MetadataFields =
    [
        Created, LastAccess, IdleMs, Deadline, Size, User, ClientIp, UserAgent, RotatedTo,
        AuthenticatedAt, Login, LastClientIp, LastUserAgent, IdIssued, DeviceName, SignInMethod,
    ];

    /// <summary>The metadata fields as a Lua argument list (<c>'#c', '#a', ...</c>), in <see cref="SessionMetadataField"/> order.</summary>
    public static readonly string LuaMetadataFields = string.Join(", ", MetadataFields.Select(static f => $"'{f}'"));

    /// <summary>The infix of a user's known devices: <c>{prefix}known:{userId}</c>, a sorted set of device-cookie digests scored by when each is forgotten.</summary>
    public const string KnownDevicesInfix = "known:";

    /// <summary>The infix of user index keys.</summary>
    public const string UserInfix = "user:";

    /// <summary>The infix of lock keys.</summary>
    public const string LockInfix = "lock:";

    /// <summary>The infix of "log out everywhere" marks.</summary>
    public const string RevokedInfix = "revoked:";

    /// <summary>
    /// The name (after the prefix) of the "everyone at once" epoch: a string of unix ms, written only by
    /// <c>LuaScripts.MarkEveryoneRevoked</c> (Redis <c>TIME</c>, only ever moved forward), never expiring.
    /// Not a handle (43 characters), so it can never name a session.
    /// </summary>
    public const string EveryoneRevokedName = "everyone-revoked";

    /// <summary>The Redis key of the "everyone at once" epoch (<see cref="EveryoneRevokedName"/>).</summary>
    /// <param name="prefix">The key prefix.</param>
    /// <returns><c>{prefix}everyone-revoked</c>.</returns>
    public static RedisKey EveryoneRevokedKey(string prefix) => string.Concat(prefix, EveryoneRevokedName);

    /// <summary>The Redis key of a session, from its handle.</summary>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="handle">The session's handle.</param>
    /// <returns><c>{prefix}{handle}</c>.</returns>
    public static RedisKey SessionKey(string prefix, string handle) => string.Concat(prefix, handle);

    /// <summary>The Redis key of a user's index.</summary>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="userId">The user.</param>
    /// <returns><c>{prefix}user:{userId}</c>.</returns>
    public static RedisKey UserKey(string prefix, string userId) => string.Concat(prefix, UserInfix, userId);

    /// <summary>The Redis key of a session's lock, from its handle.</summary>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="handle">The session's handle.</param>
    /// <returns><c>{prefix}lock:{handle}</c>.</returns>
    public static RedisKey LockKey(string prefix, string handle) => string.Concat(prefix, LockInfix, handle);

    /// <summary>The Redis key of a user's "log out everywhere" mark.</summary>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="userId">The user.</param>
    /// <returns><c>{prefix}revoked:{userId}</c>.</returns>
    public static RedisKey RevokedKey(string prefix, string userId) => string.Concat(prefix, RevokedInfix, userId);

    /// <summary>
    /// The key a replica-acknowledgement marker is written to before <c>WAIT</c> (a write of the waiting
    /// connection's own, after the revocation, so the replica's acknowledgement covers the revocation).
    /// </summary>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="slotTag">On a Cluster, a hash tag in the slot of the revoked key (so the same node), else null.</param>
    /// <returns><c>{prefix}ack</c>, or <c>{prefix}ack:{tag}</c>.</returns>
    public static RedisKey ReplicaMarkKey(string prefix, string? slotTag) =>
        slotTag is null ? string.Concat(prefix, "ack") : string.Concat(prefix, "ack:{", slotTag, "}");

    /// <summary>The pub/sub channel of revocation notices (<see cref="RevocationFeed"/>): not a key, so it never collides with one.</summary>
    /// <param name="prefix">The key prefix.</param>
    /// <returns><c>{prefix}revocations</c>.</returns>
    public static string RevocationChannel(string prefix) => string.Concat(prefix, "revocations");

    /// <summary>The Redis key of a user's known devices (browsers that signed in as the user before).</summary>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="userId">The user.</param>
    /// <returns><c>{prefix}known:{userId}</c>.</returns>
    public static RedisKey KnownDevicesKey(string prefix, string userId) => string.Concat(prefix, KnownDevicesInfix, userId);

    /// <summary>
    /// The member a browser's device cookie is recorded under in a user's known devices: bound to the
    /// user, so a cookie a browser got while another user signed in says nothing about this one, and the
    /// raw cookie never reaches Redis.
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="deviceCookie">The device cookie's value.</param>
    /// <returns><c>base64url(SHA-256(userId NUL cookie))</c>.</returns>
    public static string KnownDeviceMember(string userId, string deviceCookie) => Digest(userId, deviceCookie);

    /// <summary>The infix of an identity provider session's logins: <c>{prefix}idp:{hash of issuer and sid}</c>, a set of login handles.</summary>
    public const string IdpSessionInfix = "idp:";

    /// <summary>The infix of a one-time marker: <c>{prefix}once:{scope}:{hash of issuer and value}</c>.</summary>
    public const string OnceInfix = "once:";

    /// <summary>The longest user id the store accepts (the CLI, dashboard and ticket store check against it too).</summary>
    public const int MaxUserIdLength = 512;

    /// <summary>How long a "log out everywhere" mark is kept: longer than any request holds a loaded session.</summary>
    public static readonly TimeSpan RevocationMarkLifetime = TimeSpan.FromMinutes(10);

    /// <summary>The user-id rule: 1 to <see cref="MaxUserIdLength"/> characters, no control characters.</summary>
    /// <param name="userId">The candidate.</param>
    /// <returns>Whether it is a usable user id.</returns>
    public static bool IsValidUser(string? userId) => userId is { Length: > 0 and <= MaxUserIdLength } && !userId.Any(char.IsControl);

    /// <summary>The key of an identity provider session's logins.</summary>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="issuer">The identity provider (the <c>iss</c> of its tokens).</param>
    /// <param name="sid">Its session id (the <c>sid</c> claim).</param>
    /// <returns><c>{prefix}idp:{base64url(SHA-256(issuer NUL sid))}</c>: bounded whatever the provider sends.</returns>
    public static RedisKey IdpSessionKey(string prefix, string issuer, string sid) => string.Concat(prefix, IdpSessionInfix, Digest(issuer, sid));

    /// <summary>The key of a one-time claim.</summary>
    /// <param name="prefix">The key prefix.</param>
    /// <param name="scope">What the value is (<c>jti</c>).</param>
    /// <param name="issuer">Who issued it.</param>
    /// <param name="value">The value.</param>
    /// <returns><c>{prefix}once:{scope}:{base64url(SHA-256(issuer NUL value))}</c>.</returns>
    public static RedisKey OnceKey(string prefix, string scope, string issuer, string value) => string.Concat(prefix, OnceInfix, scope, ":", Digest(issuer, value));

    private static string Digest(string first, string second)
    {
        var bytes = Encoding.UTF8.GetBytes(string.Concat(first, "\0", second));
        return Convert.ToBase64String(SHA256.HashData(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>
    /// The counter rule: a value stored as plain decimal text (no codec header) is a counter written
    /// by HINCRBY; every other value carries a codec header byte.
    /// </summary>
    /// <param name="stored">The stored bytes.</param>
    /// <returns>Whether the value is a counter.</returns>
    public static bool IsCounter(ReadOnlySpan<byte> stored) => ValueCodec.IsCounter(stored);

    /// <summary>The user-index member of a session: its handle, marked when it is a login's companion.</summary>
    /// <param name="handle">The session's handle.</param>
    /// <param name="companion">Whether the session belongs to a login.</param>
    /// <returns>The member.</returns>
    public static string IndexMember(string handle, bool companion) => companion ? string.Concat("~", handle) : handle;

    /// <summary>Reads a user-index member: the handle, and whether it is a companion.</summary>
    /// <param name="member">The member as stored.</param>
    /// <param name="handle">The handle, when the member is well formed.</param>
    /// <param name="companion">Whether it is a companion.</param>
    /// <returns>Whether the member names a well-formed handle.</returns>
    public static bool TryParseMember(string? member, out string handle, out bool companion)
    {
        companion = member is { Length: > 0 } && member[0] == CompanionMark;
        handle = companion ? member![1..] : member ?? string.Empty;
        return SessionIds.IsValid(handle);
    }

    public static string ToField(string key) =>
        key.Length > 0 && key[0] == Marker ? string.Concat("#", key) : key;

    /// <summary>Returns the caller key for a field, or null when the field is metadata.</summary>
    public static string? ToKey(string field)
    {
        if (field.Length == 0 || field[0] != Marker)
        {
            return field;
        }

        return field.Length > 1 && field[1] == Marker ? field[1..] : null;
    }
}
