using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Tessera.Internal;

using Tessera.Redis;

namespace Tessera;

/// <summary>Atomic operations on one field: increment, set-if-absent, compare-and-set (on plaintexts), remove.</summary>
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
    public async Task<AtomicResult> IncrementAsync(string id, string key, long delta = 1, bool followRotation = false, CancellationToken cancellationToken = default)
    {
        ThrowIfMalformed(id);
        ArgumentNullException.ThrowIfNull(key);
        var field = SessionLayout.ToField(key);
        var handle = SessionIds.Handle(id);
        for (var hop = 0; ; hop++)
        {
            var reply = await _redis.EvalAsync(
                LuaScripts.Increment,
                KeyForHandle(handle),
                [field, delta, _maxBytes, _granularityMs, _maxFields],
                "incr",
                cancellationToken).ConfigureAwait(false);
            if (Interpret(hop == 0 ? id : handle, key, reply, followRotation && hop < MaxRotationHops, out var next) is { } result)
            {
                return result;
            }

            handle = next!;
        }
    }

    /// <summary>Sets a value only when the key has none, in one round trip.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="value">The value.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="AtomicResult.Succeeded"/> when the value was set.</returns>
    public Task<AtomicResult> SetIfAbsentAsync(string id, string key, ReadOnlyMemory<byte> value, bool followRotation = false, CancellationToken cancellationToken = default) =>
        AtomicAsync(id, "setnx", key, value, RedisValue.EmptyString, followRotation, cancellationToken);

    /// <summary>Replaces a value only when it still equals <paramref name="expected"/>, in one round trip.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="expected">The value the caller saw, or <see langword="null"/> for "no value".</param>
    /// <param name="value">The new value.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="AtomicResult.Succeeded"/> when the value was replaced.</returns>
    public Task<AtomicResult> CompareAndSetAsync(string id, string key, ReadOnlyMemory<byte>? expected, ReadOnlyMemory<byte> value, bool followRotation = false, CancellationToken cancellationToken = default) =>
        AtomicAsync(id, "cas", key, expected is { } e ? (RedisValue)e : RedisValue.Null, value, followRotation, cancellationToken);

    /// <summary>Removes a value, in one round trip with the existence check and the sliding refresh.</summary>
    /// <param name="id">The session identifier.</param>
    /// <param name="key">The caller key.</param>
    /// <param name="followRotation">Whether to follow a rotation to the new session.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see cref="AtomicResult.Succeeded"/> when a value was removed.</returns>
    public Task<AtomicResult> RemoveAsync(string id, string key, bool followRotation = false, CancellationToken cancellationToken = default) =>
        AtomicAsync(id, "del", key, RedisValue.Null, RedisValue.EmptyString, followRotation, cancellationToken);

    private async Task<AtomicResult> AtomicAsync(
        string id, string op, string key, RedisValue a, RedisValue b, bool followRotation, CancellationToken cancellationToken)
    {
        ThrowIfMalformed(id);
        ArgumentNullException.ThrowIfNull(key);
        var field = SessionLayout.ToField(key);
        var handle = SessionIds.Handle(id);
        for (var hop = 0; ; hop++)
        {
            // Values are stored encoded; the counter of 'incr' is stored as decimal text.
            var encodedA = op is "setnx" or "cas" && !a.IsNull ? (RedisValue)_codec.Encode(handle, field, ((ReadOnlyMemory<byte>)a).Span) : a;
            var encodedB = op == "cas" ? (RedisValue)_codec.Encode(handle, field, ((ReadOnlyMemory<byte>)b).Span) : b;
            if (op == "cas" && a.IsNull)
            {
                encodedA = RedisValue.EmptyString;
            }

            if (op == "cas" && _codec.AuthenticatesValues)
            {
                // Ciphertexts carry a fresh nonce each time: compare plaintexts here, then let the
                // script swap only if the stored bytes are still the very ones compared.
                encodedA = await ExpectedStoredAsync(handle, field, a, cancellationToken).ConfigureAwait(false);
            }

            var reply = await _redis.EvalAsync(
                LuaScripts.Atomic,
                KeyForHandle(handle),
                [op, field, encodedA.IsNull ? RedisValue.EmptyString : encodedA, encodedB, _maxBytes, _granularityMs, _maxFields],
                op,
                cancellationToken).ConfigureAwait(false);
            if (Interpret(hop == 0 ? id : handle, key, reply, followRotation && hop < MaxRotationHops, out var next) is { } result)
            {
                return result;
            }

            handle = next!;
        }
    }

    /// <summary>
    /// Reads the reply of an atomic script: its result (for <paramref name="target"/>: the id on the
    /// first hop, the handle it was forwarded to after), or, when <paramref name="follow"/> and the key
    /// was a tombstone, null with the handle it forwards to in <paramref name="next"/>.
    /// </summary>
    private AtomicResult? Interpret(string target, string key, RedisResult reply, bool follow, out string? next)
    {
        var parts = (RedisResult[])reply!;
        var code = (ScriptStatus)(int)parts[0];
        next = null;
        switch (code)
        {
            case ScriptStatus.Ok:
                return new AtomicResult(CommitStatus.Committed, (long)parts[2], target);
            case ScriptStatus.Rotated when follow && SessionIds.IsValid((string?)parts[1]):
                next = (string)parts[1]!;
                return null;
            case ScriptStatus.NotInteger:
                throw new SessionValueTypeException($"The session value '{key}' is not an integer, so it cannot be incremented.");
            default:
                return new AtomicResult(StatusOf(target, (int)code), 0, target) { ExceededLimit = LimitOf(code) };
        }
    }

    /// <summary>
    /// For compare-and-set with encryption: the stored bytes to compare against when the stored value
    /// decrypts to <paramref name="expected"/> (empty for "absent"), or bytes no value can have.
    /// </summary>
    private async Task<RedisValue> ExpectedStoredAsync(string handle, string field, RedisValue expected, CancellationToken cancellationToken)
    {
        var stored = await _redis.RunAsync("cas", db => db.HashGetAsync(KeyForHandle(handle), field), cancellationToken, idempotent: true, "HGET").ConfigureAwait(false);
        if (stored.IsNull)
        {
            return expected.IsNull ? RedisValue.EmptyString : NeverStored;
        }

        if (expected.IsNull)
        {
            return NeverStored;
        }

        try
        {
            var plain = _codec.Decode(handle, field, (byte[])stored!);
            return plain.AsSpan().SequenceEqual(((ReadOnlyMemory<byte>)expected).Span) ? stored : NeverStored;
        }
        catch (CorruptSessionException)
        {
            return NeverStored;
        }
    }

    /// <summary>Bytes no stored value starts with (0xFF is no header and no digit).</summary>
    private static readonly RedisValue NeverStored = new byte[] { 0xFF, 0xFE, 0xFD };
}
