using System.Diagnostics;
using StackExchange.Redis;

using Tessera.Redis;

namespace Tessera;

/// <summary>
/// A held per-session lock: <c>SET {prefix}lock:{id} token NX PX</c>. Dispose it to release it by
/// compare-and-delete, so a lock that expired and was taken by another request is never released
/// by this one. The lock expires by itself, so a crashed server never holds it for long.
/// </summary>
internal sealed class SessionLock : IAsyncDisposable
{
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private readonly RedisSessionStore _store;
    private readonly RedisKey _key;
    private readonly RedisValue _token;
    private int _released;

    private SessionLock(RedisSessionStore store, RedisKey key, RedisValue token, TimeSpan waited)
    {
        _store = store;
        _key = key;
        _token = token;
        Waited = waited;
    }

    /// <summary>How long the request waited for the lock.</summary>
    public TimeSpan Waited { get; }

    /// <summary>
    /// Takes the lock of a session, waiting at most <paramref name="wait"/> with backoff (no busy spin).
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="lockTimeout">How long the lock lives if never released.</param>
    /// <param name="wait">How long to wait for it.</param>
    /// <param name="cancellationToken">Cancels the wait (an aborted request).</param>
    /// <returns>The held lock, or <see langword="null"/> when it could not be had in time.</returns>
    public static async Task<SessionLock?> AcquireAsync(RedisSessionStore store, string sessionId, TimeSpan lockTimeout, TimeSpan wait, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        if (!SessionIds.IsValid(sessionId))
        {
            throw new ArgumentException("Not a well-formed session identifier.", nameof(sessionId));
        }

        var key = store.LockKeyFor(sessionId);
        var token = (RedisValue)Guid.NewGuid().ToString("N");
        var clock = Stopwatch.StartNew();
        var delay = TimeSpan.FromMilliseconds(2);
        while (true)
        {
            bool taken;
            try
            {
                // On the one call path: while Redis is known not to answer, refused at once.
                taken = await store.Redis.RunAsync(
                    "lock",
                    static (db, s) => db.StringSetAsync(s.Key, s.Token, s.LockTimeout, When.NotExists),
                    (Key: key, Token: token, LockTimeout: lockTimeout),
                    cancellationToken,
                    command: "SET").ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
            {
                // The SET may still run when Redis answers again (it was written to a stalled socket):
                // release it by its token then, so an outage never leaves the session locked.
                _ = ReleaseWhenBackAsync(store, key, token, lockTimeout);
                throw new TesseraUnavailableException("The session store did not answer while taking the session lock.", ex);
            }

            if (taken)
            {
                store.Metrics.LockWaits.Record(clock.Elapsed.TotalSeconds);
                return new SessionLock(store, key, token, clock.Elapsed);
            }

            var left = wait - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                store.Metrics.LockWaits.Record(clock.Elapsed.TotalSeconds);
                return null;
            }

            // Backoff with jitter, so waiters neither spin nor wake together.
            var sleep = TimeSpan.FromMilliseconds(delay.TotalMilliseconds * (0.5 + Random.Shared.NextDouble()));
            await Task.Delay(sleep < left ? sleep : left, cancellationToken).ConfigureAwait(false);
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 100));
        }
    }

    /// <summary>
    /// Releases a lock whose acquisition timed out, once Redis answers: the release is queued behind
    /// the SET on the same connection, so it runs after it. Tries until the lock would have expired.
    /// </summary>
    private static async Task ReleaseWhenBackAsync(RedisSessionStore store, RedisKey key, RedisValue token, TimeSpan lockTimeout)
    {
        var clock = Stopwatch.StartNew();
        var answered = 0;
        while (clock.Elapsed < lockTimeout && answered < 2)
        {
            try
            {
                // Twice, apart: after a reconnect the stalled socket's SET may run just after the first.
                var db = await store.Connection.GetDatabaseAsync().ConfigureAwait(false);
                await db.ScriptEvaluateAsync(ReleaseScript, [key], [token]).WaitAsync(store.Options.OperationTimeout).ConfigureAwait(false);
                answered++;
                await Task.Delay(TimeSpan.FromMilliseconds(500)).ConfigureAwait(false);
            }
            catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250)).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Releases the lock if this request still holds it.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0)
        {
            return;
        }

        try
        {
            var db = await _store.Connection.GetDatabaseAsync().ConfigureAwait(false);
            await db.ScriptEvaluateAsync(ReleaseScript, [_key], [_token]).WaitAsync(_store.Options.OperationTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (RedisFailures.IsUnavailable(ex))
        {
            // The lock expires by itself.
        }
    }
}
