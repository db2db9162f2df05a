using StackExchange.Redis;
using Tessera.Internal;
using Tessera.Wire;

namespace Tessera;

/// <summary>
/// The atomic operations on one value (increment, set-if-absent, compare-and-set, remove, take): one
/// script each, one round trip, on the one atomic path (<see cref="AtomicReplyAsync"/>), with the
/// session checks every write script makes (live, not a tombstone, within its deadline).
/// </summary>
public sealed partial class RedisSessionStore
{
    /// <summary>Adds <paramref name="delta"/> to an integer value, creating it at 0 first, in one round trip.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="delta">The amount to add.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session (only for a request that loaded before it).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The new value, or the reason nothing changed.</returns>
    /// <exception cref="InvalidOperationException">The stored value is not an integer.</exception>
    public Task<AtomicResult> IncrementAsync(string id, string key, long delta = 1, bool followRotation = false, CancellationToken cancellationToken = default) =>
        IncrementAsync(Key(id), key, delta, followRotation, cancellationToken);

    /// <summary>As <see cref="IncrementAsync(string, string, long, bool, CancellationToken)"/>, for a request that holds its key.</summary>
    internal Task<AtomicResult> IncrementAsync(SessionKey session, string key, long delta, bool followRotation, CancellationToken cancellationToken) =>
        AtomicAsync(session, "incr", key, delta, RedisValue.Null, followRotation, cancellationToken);

    /// <summary>Sets a value only when the key has none, in one round trip.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="value">The value.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="AtomicResult.Succeeded"/> when the value was set.</returns>
    public Task<AtomicResult> SetIfAbsentAsync(string id, string key, ReadOnlyMemory<byte> value, bool followRotation = false, CancellationToken cancellationToken = default) =>
        SetIfAbsentAsync(Key(id), key, value, followRotation, cancellationToken);

    /// <summary>As <see cref="SetIfAbsentAsync(string, string, ReadOnlyMemory{byte}, bool, CancellationToken)"/>, for a request that holds its key.</summary>
    internal Task<AtomicResult> SetIfAbsentAsync(SessionKey session, string key, ReadOnlyMemory<byte> value, bool followRotation, CancellationToken cancellationToken) =>
        AtomicAsync(session, "setnx", key, value, RedisValue.EmptyString, followRotation, cancellationToken);

    /// <summary>Replaces a value only when it still equals <paramref name="expected"/>, in one round trip.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="expected">The value the caller saw, or <see langword="null"/> for "no value".</param>
    /// <param name="value">The new value.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="AtomicResult.Succeeded"/> when the value was replaced.</returns>
    public Task<AtomicResult> CompareAndSetAsync(string id, string key, ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte> value, bool followRotation = false, CancellationToken cancellationToken = default) =>
        CompareAndSetAsync(Key(id), key, expected, value, followRotation, cancellationToken);

    /// <summary>As <see cref="CompareAndSetAsync(string, string, ReadOnlyMemory{byte}?, ReadOnlyMemory{byte}, bool, CancellationToken)"/>, for a request that holds its key.</summary>
    internal Task<AtomicResult> CompareAndSetAsync(SessionKey session, string key, ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte> value, bool followRotation, CancellationToken cancellationToken) =>
        AtomicAsync(session, "cas", key, expected is { } e ? (RedisValue)e : RedisValue.Null, value, followRotation, cancellationToken);

    /// <summary>Removes a value, in one round trip with the existence check and the sliding refresh.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="AtomicResult.Succeeded"/> when a value was removed.</returns>
    public Task<AtomicResult> RemoveAsync(string id, string key, bool followRotation = false, CancellationToken cancellationToken = default) =>
        RemoveAsync(Key(id), key, followRotation, cancellationToken);

    /// <summary>As <see cref="RemoveAsync(string, string, bool, CancellationToken)"/>, for a request that holds its key.</summary>
    internal Task<AtomicResult> RemoveAsync(SessionKey session, string key, bool followRotation, CancellationToken cancellationToken) =>
        AtomicAsync(session, "del", key, RedisValue.Null, RedisValue.EmptyString, followRotation, cancellationToken);

    /// <summary>
    /// Takes a value: reads it and removes it in one step (one script: <c>HGET</c> and <c>HDEL</c> with the
    /// session checks, the size and the sliding refresh), so of two requests that take the same value,
    /// exactly one gets it. A session that is gone, a tombstone (unless <paramref name="followRotation"/>)
    /// or a key that is not a session gives nothing and is never written.
    /// </summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session (only for a request that loaded before it).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The value taken (<see cref="TakeResult.Value"/>, null when there was none), or the reason nothing was taken.</returns>
    public Task<TakeResult> TakeAsync(string id, string key, bool followRotation = false, CancellationToken cancellationToken = default) =>
        TakeAsync(Key(id), key, followRotation, cancellationToken);

    /// <summary>As <see cref="TakeAsync(string, string, bool, CancellationToken)"/>, for a request that holds its key.</summary>
    internal async Task<TakeResult> TakeAsync(SessionKey session, string key, bool followRotation, CancellationToken cancellationToken)
    {
        var (target, field, parts) = await AtomicReplyAsync(session, "take", key, RedisValue.Null, RedisValue.EmptyString, followRotation, cancellationToken).ConfigureAwait(false);
        var code = (ScriptStatus)(int)parts[0];
        if (code != ScriptStatus.Ok)
        {
            return new TakeResult(Checked(target, ScriptWire.StatusOf(code)), null, target.Id);
        }

        byte[]? value;
        try
        {
            value = ScriptWire.Taken(parts[2], target.Handle, field, _codec);
        }
        catch (CorruptSessionException ex)
        {
            // Removed, and never handed out: a value that does not authenticate is no value.
            ReportCorrupt(target, ex.Message);
            value = null;
        }

        return new TakeResult(CommitStatus.Committed, value, target.Id);
    }

    /// <summary>An atomic operation (<c>incr</c>, <c>setnx</c>, <c>cas</c>, <c>del</c>) and its result.</summary>
    private async Task<AtomicResult> AtomicAsync(
        SessionKey session, string op, string key, RedisValue a, RedisValue b, bool followRotation, CancellationToken cancellationToken)
    {
        var (target, _, parts) = await AtomicReplyAsync(session, op, key, a, b, followRotation, cancellationToken).ConfigureAwait(false);
        return Interpret(target, key, parts);
    }

    /// <summary>
    /// The one atomic path: runs the script of <paramref name="op"/> (<c>incr</c>, <c>setnx</c>, <c>cas</c>,
    /// <c>del</c>, <c>take</c>) on the session and, when <paramref name="followRotation"/> and the key is a
    /// tombstone, on the session it forwards to (at most <see cref="MaxRotationHops"/> hops). Returns the
    /// session it ran on last, the field, and the script's reply.
    /// </summary>
    private async Task<(SessionKey Target, string Field, RedisResult[] Reply)> AtomicReplyAsync(
        SessionKey session, string op, string key, RedisValue a, RedisValue b, bool followRotation, CancellationToken cancellationToken)
    {
        var target = session;
        ArgumentNullException.ThrowIfNull(key);
        var field = SessionLayout.ToField(key);
        for (var hop = 0; ; hop++)
        {
            // Ciphertexts carry a fresh nonce each time: with encryption, compare-and-set compares plaintexts
            // here, then lets the script swap only if the stored bytes are still the very ones compared.
            RedisValue? expectedStored = op == "cas" && _codec.AuthenticatesValues
                ? (RedisValue?)await ExpectedStoredAsync(target, field, a, cancellationToken).ConfigureAwait(false)
                : null;
            var reply = await _redis.EvalAsync(
                op == "incr" ? LuaScripts.Increment : LuaScripts.Atomic,
                target.Key,
                ScriptWire.AtomicArgs(op, target.Handle, field, a, b, expectedStored, _options, _granularityMs, _codec),
                op,
                cancellationToken).ConfigureAwait(false);
            var parts = (RedisResult[])reply!;
            if ((ScriptStatus)(int)parts[0] == ScriptStatus.Rotated && followRotation && hop < MaxRotationHops && SessionIds.IsValid((string?)parts[1]))
            {
                target = KeyOfHandle((string)parts[1]!);
                continue;
            }

            return (target, field, parts);
        }
    }

    /// <summary>Reads the reply of an atomic script (other than a take) for <paramref name="target"/>: the id on the first hop, the handle it was forwarded to after.</summary>
    private AtomicResult Interpret(SessionKey target, string key, RedisResult[] parts)
    {
        var code = (ScriptStatus)(int)parts[0];
        switch (code)
        {
            case ScriptStatus.Ok:
                return new AtomicResult(CommitStatus.Committed, (long)parts[2], target.Id);
            case ScriptStatus.NotInteger:
                throw new SessionValueTypeException($"The session value '{key}' is not an integer, so it cannot be incremented.");
            default:
                return new AtomicResult(Checked(target, ScriptWire.StatusOf(code)), 0, target.Id) { ExceededLimit = ScriptWire.LimitOf(code) };
        }
    }

    /// <summary>For compare-and-set with encryption: the stored bytes to swap when they decrypt to <paramref name="expected"/>.</summary>
    private async Task<RedisValue> ExpectedStoredAsync(SessionKey target, string field, RedisValue expected, CancellationToken cancellationToken)
    {
        var stored = await _redis.RunAsync("cas", db => db.HashGetAsync(target.Key, field), cancellationToken, idempotent: true, "HGET").ConfigureAwait(false);
        return ScriptWire.ExpectedStored(stored, expected, target.Handle, field, _codec);
    }
}
