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

    /// <summary>Reads an integer value written by <see cref="IncrementAsync"/>.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value, or <see langword="null"/> when absent or not an integer.</returns>
    long? GetInt64(string key);

    /// <summary>
    /// Logs out: deletes the session in Redis now and drops the cookie. The object then acts as a new,
    /// empty session; storing a value in it starts a new session with a new identifier.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    Task DestroyAsync(CancellationToken cancellationToken = default);
}
