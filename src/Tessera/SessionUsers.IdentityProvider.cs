using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera;

/// <summary>An identity provider's sessions (OpenID Connect back-channel logout): the logins of each, their revocation, and one-time claims.</summary>
public sealed partial class SessionUsers
{
    /// <summary>The key of an identity provider session's logins (<see cref="SessionLayout.IdpSessionKey"/>).</summary>
    internal RedisKey IdpSessionKeyFor(string issuer, string sid) => SessionLayout.IdpSessionKey(_options.KeyPrefix, issuer, sid);

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
        SessionKey.ThrowIfMalformed(loginId);
        return _redis.EvalAsync(
            LuaScripts.SetAddUntil,
            SessionLayout.IdpSessionKey(_options.KeyPrefix, issuer, sid),
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
        var taken = (RedisResult[])(await _redis.EvalAsync(LuaScripts.SetTake, SessionLayout.IdpSessionKey(_options.KeyPrefix, issuer, sid), [], "idp session logout", cancellationToken).ConfigureAwait(false))!;
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
            (Key: SessionLayout.OnceKey(_options.KeyPrefix, scope, issuer, value), Lifetime: lifetime),
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
        _redis.RunAsync("one-time claim", static (db, k) => db.KeyDeleteAsync(k), SessionLayout.OnceKey(_options.KeyPrefix, scope, issuer, value), cancellationToken, idempotent: true, "DEL");
}
