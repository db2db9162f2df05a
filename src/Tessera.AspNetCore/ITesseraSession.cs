using Microsoft.AspNetCore.Http;

namespace Tessera.AspNetCore;

/// <summary>
/// Tessera's session: the stock <see cref="ISession"/> contract plus atomic operations, logout and
/// metadata. Get it with <c>HttpContext.Session.AsTessera()</c> or <c>HttpContext.GetTesseraSession()</c>.
/// </summary>
public interface ITesseraSession : ISession
{
    /// <summary>Whether Redis holds this session (after it was loaded, created or written).</summary>
    bool Exists { get; }

    /// <summary>The stored metadata (created, last access, timeouts, user), once loaded.</summary>
    SessionMetadata? Metadata { get; }

    /// <summary>
    /// When the session ends if no later request slides it: the sooner of its idle expiry and its absolute
    /// deadline, as Redis holds it after this request (a read on an endpoint that slides may have moved it;
    /// one marked <see cref="NoSessionSlidingAttribute"/> never does). Reading it loads the session (the
    /// request's one read); <see langword="null"/> when there is no session.
    /// </summary>
    DateTimeOffset? ExpiresAt { get; }

    /// <summary>The session's absolute deadline (it ends then however active it is); <see langword="null"/> when there is no session.</summary>
    DateTimeOffset? AbsoluteExpiresAt { get; }

    /// <summary>
    /// The time left until <see cref="ExpiresAt"/> by the app's clock (<see cref="TimeProvider"/>), zero
    /// when past; <see langword="null"/> when there is no session. On an endpoint marked
    /// <see cref="NoSessionSlidingAttribute"/> (<c>WithoutSessionSliding()</c>) asking costs the one read
    /// and extends nothing: what an idle warning polls.
    /// </summary>
    TimeSpan? TimeLeft { get; }

    /// <summary>
    /// Adds <paramref name="delta"/> to an integer value in one round trip (with the existence check
    /// and sliding refresh), creating the session for a new visitor. The new value is visible to the
    /// rest of the request. Counters are stored as decimal text; read them with <see cref="GetInt64"/>.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="delta">The amount to add.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The new value.</returns>
    Task<long> IncrementAsync(string key, long delta = 1, CancellationToken cancellationToken = default);

    /// <summary>
    /// Like <see cref="IncrementAsync"/>, but only on a session that exists: never creates one.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="delta">The amount to add.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The new value, or <see langword="null"/> when there is no session.</returns>
    Task<long?> TryIncrementAsync(string key, long delta = 1, CancellationToken cancellationToken = default);

    /// <summary>Sets a value only when the key has none, atomically, in one round trip.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when the value was set.</returns>
    Task<bool> SetIfAbsentAsync(string key, byte[] value, CancellationToken cancellationToken = default);

    /// <summary>Replaces a value only when it still equals <paramref name="expected"/>, atomically, in one round trip.</summary>
    /// <param name="key">The key.</param>
    /// <param name="expected">The value expected, or <see langword="null"/> for none.</param>
    /// <param name="value">The new value.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when the value was replaced.</returns>
    Task<bool> CompareAndSetAsync(string key, byte[]? expected, byte[] value, CancellationToken cancellationToken = default);

    /// <summary>Removes a value in Redis now, in one round trip.</summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when a value was removed.</returns>
    Task<bool> RemoveNowAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Takes a value: reads it and removes it in Redis in one step (one round trip, with the existence
    /// check and sliding refresh), so of any number of requests taking the same value at once, exactly one
    /// gets it: a one-time message, token or code. The value is gone for the rest of the request too.
    /// Never creates a session; a session that is gone, revoked or rotated away gives nothing.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The value, or <see langword="null"/> when there was none (or another request took it first).</returns>
    Task<byte[]?> TakeAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>
    /// Sets a value with its own lifetime, written at the end of the request as <see cref="ISession.Set"/>
    /// is: from <paramref name="lifetime"/> after this call (by the app's clock, <see cref="TimeProvider"/>)
    /// it is never read, listed or taken, and the next load removes it from Redis, whatever the session's own
    /// timeouts; it never outlives the session. Setting it again (with or without a lifetime) replaces the
    /// deadline. With encryption at rest the deadline is authenticated: bytes edited in Redis to extend it make
    /// the value fail as a tampered one. Counters (<see cref="IncrementAsync"/>) have no lifetime of their own.
    /// </summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="lifetime">How long the value lives; more than zero.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="lifetime"/> is zero or negative.</exception>
    void Set(string key, byte[] value, TimeSpan lifetime);

    /// <summary>Reads an integer value written by <see cref="IncrementAsync"/>.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value, or <see langword="null"/> when absent or not an integer.</returns>
    long? GetInt64(string key);

    /// <summary>The user this session is bound to, if any.</summary>
    string? UserId { get; }

    /// <summary>
    /// Issues a new identifier, carries every value over and kills the old identifier at once: a
    /// request that tries to load it is refused, while one already in flight commits into the new
    /// session. The new cookie is sent with this response. Call it on login and privilege change.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The new identifier.</returns>
    Task<string> RotateAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Binds the session to a user (so it shows in the user's devices and "log out everywhere"
    /// reaches it) and rotates its identifier, so a session fixed by an attacker before login never
    /// becomes the authenticated one.
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    Task SignInAsync(string userId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Signs in as <see cref="SignInAsync"/> does, and records how the user signed in
    /// ("password", "passkey", "google"; cleaned by <see cref="DeviceText.Method"/>) on this device
    /// (<see cref="SessionMetadata.SignInMethod"/>).
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="signInMethod">How the user signed in, or null.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    Task SignInWithAsync(string userId, string? signInMethod, CancellationToken cancellationToken = default);

    /// <summary>
    /// The devices of this session's user ("your devices"): a login and the session signed in with it
    /// are one entry, and this device has <see cref="SessionInfo.IsCurrent"/>; empty when the session is
    /// bound to no user.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The devices, most recently seen first.</returns>
    Task<IReadOnlyList<SessionInfo>> GetUserSessionsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// "Log out my other devices": revokes every session and login of this session's user except this
    /// device's (this session and the login it belongs to).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>How many sessions and logins were revoked.</returns>
    Task<int> RevokeOtherSessionsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// "Revoke this device" from a devices page: ends the device a handle names (its login and its
    /// sessions) only when it belongs to this session's user, so a posted handle of someone else's
    /// device does nothing.
    /// </summary>
    /// <param name="handle">The device's handle (<see cref="SessionInfo.Handle"/>, or one of its <see cref="SessionInfo.LinkedHandles"/>).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether a device of this user was revoked.</returns>
    Task<bool> RevokeDeviceAsync(string handle, CancellationToken cancellationToken = default);

    /// <summary>
    /// "Name this device" from a devices page: names (or, with null, unnames) a device of this session's
    /// user only, so a posted handle of someone else's device does nothing. The name is cleaned
    /// (<see cref="DeviceText.Name"/>) and shown as <see cref="SessionMetadata.DeviceName"/>.
    /// </summary>
    /// <param name="handle">The device's handle (<see cref="SessionInfo.Handle"/>, or one of its <see cref="SessionInfo.LinkedHandles"/>).</param>
    /// <param name="name">The name ("Work laptop"), or null to remove it.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>Whether a device of this user was named.</returns>
    Task<bool> NameDeviceAsync(string handle, string? name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Overrides the idle timeout and/or the absolute lifetime (counted from creation) of this
    /// session only, for example for "remember me". Written with the request's other changes.
    /// </summary>
    /// <param name="idleTimeout">The new idle timeout, or null to keep it.</param>
    /// <param name="absoluteTimeout">The new absolute lifetime from creation, or null to keep it.</param>
    void SetTimeouts(TimeSpan? idleTimeout = null, TimeSpan? absoluteTimeout = null);

    /// <summary>
    /// Logs out: deletes the session in Redis now and drops the cookie. The object then acts as a new,
    /// empty session; storing a value in it starts a new session with a new identifier.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    Task DestroyAsync(CancellationToken cancellationToken = default);
}
