using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera;

/// <summary>
/// What revocation needs beyond the user index: an identity provider's session (OpenID Connect
/// <c>sid</c>) mapped to the logins signed in with it, one-time markers (a logout token's <c>jti</c>),
/// and the cheap liveness check that live connections (SignalR, Blazor Server) repeat. Every command
/// touches one key, so each is single-slot on Cluster.
/// </summary>
public sealed partial class RedisSessionStore
{
    /// <summary>The infix of an identity provider session's logins: <c>{prefix}idp:{hash of issuer and sid}</c>, a set of login handles.</summary>
    internal const string IdpSessionInfix = "idp:";

    /// <summary>The infix of a one-time marker: <c>{prefix}once:{scope}:{hash of issuer and value}</c>.</summary>
    internal const string OnceInfix = "once:";

    /// <summary>Adds a member and keeps the key until the later of its current expiry and ARGV[2] (unix ms). KEYS[1] the set.</summary>
    private const string SetAddUntil = """
        redis.call('SADD', KEYS[1], ARGV[1])
        local at = tonumber(ARGV[2])
        local ttl = redis.call('PTTL', KEYS[1])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        if ttl < 0 or now + ttl < at then redis.call('PEXPIREAT', KEYS[1], at) end
        return 1
        """;

    /// <summary>Returns a set's members and deletes it in one step. KEYS[1] the set.</summary>
    private const string SetTake = """
        local m = redis.call('SMEMBERS', KEYS[1])
        redis.call('DEL', KEYS[1])
        return m
        """;

    /// <summary>The key of an identity provider session's logins.</summary>
    /// <param name="issuer">The identity provider (the <c>iss</c> of its tokens).</param>
    /// <param name="sid">Its session id (the <c>sid</c> claim).</param>
    /// <returns><c>{prefix}idp:{base64url(SHA-256(issuer NUL sid))}</c>: bounded whatever the provider sends.</returns>
    internal RedisKey IdpSessionKeyFor(string issuer, string sid) =>
        string.Concat(_options.KeyPrefix, IdpSessionInfix, Digest(issuer, sid));

    /// <summary>
    /// Records that a login was signed in with an identity provider's session, until the login's deadline
    /// (the set lives as long as its longest-lived login). One script on one key.
    /// </summary>
    /// <param name="issuer">The identity provider.</param>
    /// <param name="sid">Its session id.</param>
    /// <param name="loginId">The login (ticket) identifier.</param>
    /// <param name="deadline">The login's absolute deadline.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    internal Task IndexIdpSessionAsync(string issuer, string sid, string loginId, DateTimeOffset deadline, CancellationToken cancellationToken)
    {
        ThrowIfMalformed(loginId);
        return _redis.EvalAsync(
            SetAddUntil,
            IdpSessionKeyFor(issuer, sid),
            [SessionIds.Handle(loginId), deadline.ToUnixTimeMilliseconds()],
            "idp session index",
            cancellationToken,
            idempotent: true);
    }

    /// <summary>
    /// Ends every login signed in with an identity provider's session (and each login's device: its
    /// linked sessions), taking the set in one step so a login added after it is not silently kept.
    /// </summary>
    /// <param name="issuer">The identity provider.</param>
    /// <param name="sid">Its session id.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many sessions and logins were ended.</returns>
    internal async Task<int> RevokeIdpSessionAsync(string issuer, string sid, CancellationToken cancellationToken)
    {
        var taken = (RedisResult[])(await _redis.EvalAsync(SetTake, IdpSessionKeyFor(issuer, sid), [], "idp session logout", cancellationToken).ConfigureAwait(false))!;
        var ended = 0;
        foreach (var member in taken)
        {
            if (SessionIds.IsValid((string?)member))
            {
                using var activity = TesseraTelemetry.StartOperation("revocation");
                ended += await RevokeDeviceCoreAsync((string)member!, null, "idp-session", cancellationToken).ConfigureAwait(false);
            }
        }

        return ended;
    }

    /// <summary>
    /// Claims a value once within a lifetime (<c>SET NX PX</c>): the first caller gets <see langword="true"/>,
    /// every other until it expires <see langword="false"/>. For a logout token's <c>jti</c>.
    /// </summary>
    /// <param name="scope">What the value is (<c>jti</c>).</param>
    /// <param name="issuer">Who issued it.</param>
    /// <param name="value">The value.</param>
    /// <param name="lifetime">How long the claim holds.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether this caller claimed it.</returns>
    internal Task<bool> ClaimOnceAsync(string scope, string issuer, string value, TimeSpan lifetime, CancellationToken cancellationToken) =>
        _redis.RunAsync(
            "one-time claim",
            static (db, s) => db.StringSetAsync(s.Key, 1, s.Lifetime, When.NotExists),
            (Key: OnceKeyFor(scope, issuer, value), Lifetime: lifetime),
            cancellationToken,
            idempotent: false,
            "SET");

    /// <summary>Gives a claim back (the work it guarded failed, so a retry must be let in).</summary>
    /// <param name="scope">What the value is.</param>
    /// <param name="issuer">Who issued it.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    internal Task ReleaseOnceAsync(string scope, string issuer, string value, CancellationToken cancellationToken) =>
        _redis.RunAsync("one-time claim", static (db, k) => db.KeyDeleteAsync(k), OnceKeyFor(scope, issuer, value), cancellationToken, idempotent: true, "DEL");

    /// <summary>
    /// Which of these sessions or logins are still live, for live connections' re-checks: one
    /// <c>HMGET</c> of two fields per handle, pipelined (one round trip for the lot); a rotated session
    /// is followed to the session it became (one more round trip, only then).
    /// </summary>
    /// <param name="handles">The handles.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Per handle, the handle that is live now (itself, or what it was rotated into), or null when it was ended.</returns>
    internal async Task<string?[]> LiveHandlesAsync(IReadOnlyList<string> handles, CancellationToken cancellationToken)
    {
        var current = handles.ToArray();
        var live = new string?[current.Length];
        var pending = Enumerable.Range(0, current.Length).Where(n => SessionIds.IsValid(current[n])).ToList();
        for (var hop = 0; hop < 3 && pending.Count > 0; hop++)
        {
            var replies = await _redis.RunAsync(
                "liveness",
                db => Task.WhenAll(pending.Select(n => db.HashGetAsync(KeyForHandle(current[n]), [SessionLayout.Created, SessionLayout.RotatedTo]))),
                cancellationToken,
                idempotent: true,
                "HMGET").ConfigureAwait(false);
            var next = new List<int>();
            for (var i = 0; i < pending.Count; i++)
            {
                var n = pending[i];
                var f = replies[i];
                if (!f[1].IsNull && SessionIds.IsValid((string?)f[1]))
                {
                    current[n] = (string)f[1]!;
                    next.Add(n);
                }
                else if (!f[0].IsNull)
                {
                    live[n] = current[n];
                }
            }

            pending = next;
        }

        return live;
    }

    private RedisKey OnceKeyFor(string scope, string issuer, string value) =>
        string.Concat(_options.KeyPrefix, OnceInfix, scope, ":", Digest(issuer, value));

    private static string Digest(string first, string second)
    {
        var bytes = Encoding.UTF8.GetBytes(string.Concat(first, "\0", second));
        return Convert.ToBase64String(SHA256.HashData(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
