using StackExchange.Redis;
using Tessera.Redis;
using Tessera.Wire;

namespace Tessera.Internal;

/// <summary>
/// The store's atomic operations on one value (<c>incr</c>, <c>setnx</c>, <c>cas</c>, <c>del</c>, <c>take</c>):
/// one loop that runs the operation's script and follows a tombstone when asked, and the reading of its
/// reply. The public surface is <see cref="RedisSessionStore"/>'s; every call goes through its one call path.
/// </summary>
internal sealed class SessionAtomics
{
    private readonly RedisSessionStore _store;
    private readonly RedisGateway _redis;
    private readonly TesseraOptions _options;
    private readonly ValueCodec _codec;
    private readonly RedisValue _granularityMs;

    public SessionAtomics(RedisSessionStore store, RedisValue granularityMs)
    {
        _store = store;
        _redis = store.Redis;
        _options = store.Options;
        _codec = store.Codec;
        _granularityMs = granularityMs;
    }

    /// <summary>Takes a value (see <see cref="RedisSessionStore.TakeAsync(string, string, bool, CancellationToken)"/>).</summary>
    public async Task<TakeResult> TakeAsync(SessionKey session, string key, bool followRotation, CancellationToken cancellationToken)
    {
        var (target, field, parts) = await AtomicReplyAsync(session, "take", key, RedisValue.Null, RedisValue.EmptyString, followRotation, cancellationToken).ConfigureAwait(false);
        var code = (ScriptStatus)(int)parts[0];
        if (code != ScriptStatus.Ok)
        {
            return new TakeResult(_store.Checked(target, ScriptWire.StatusOf(code)), null, target.Id);
        }

        byte[]? value;
        try
        {
            value = ScriptWire.Taken(parts[2], target.Handle, field, _codec, _store.Time.GetUtcNow());
        }
        catch (CorruptSessionException ex)
        {
            // Removed, and never handed out: a value that does not authenticate is no value.
            _store.ReportCorrupt(target, ex.Message);
            value = null;
        }

        return new TakeResult(CommitStatus.Committed, value, target.Id);
    }

    /// <summary>An atomic operation (<c>incr</c>, <c>setnx</c>, <c>cas</c>, <c>del</c>) and its result.</summary>
    public async Task<AtomicResult> RunAsync(
        SessionKey session, string op, string key, RedisValue a, RedisValue b, bool followRotation, CancellationToken cancellationToken)
    {
        var (target, _, parts) = await AtomicReplyAsync(session, op, key, a, b, followRotation, cancellationToken).ConfigureAwait(false);
        return Interpret(target, key, parts);
    }

    /// <summary>
    /// The one atomic path: runs the script of <paramref name="op"/> (<c>incr</c>, <c>setnx</c>, <c>cas</c>,
    /// <c>del</c>, <c>take</c>) on the session and, when <paramref name="followRotation"/> and the key is a
    /// tombstone, on the session it forwards to (at most <see cref="RedisSessionStore.MaxRotationHops"/> hops). Returns the
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
            // The counter bump reads the epoch inside its script where it can (one command, and a bump on an
            // ended session writes nothing) and goes with the bumps of other requests when they meet; the other
            // operations read the epoch beside theirs.
            var (reply, epoch) = op == "incr"
                ? await _redis.BumpAsync(target.Key, field, a, op, cancellationToken).ConfigureAwait(false)
                : await _redis.EvalBesideEpochAsync(LuaScripts.Atomic, target.Key, ScriptWire.AtomicArgs(op, target.Handle, field, a, b, expectedStored, _options, _granularityMs, _codec, _redis.Time.GetUtcNow().ToUnixTimeMilliseconds()), op, cancellationToken).ConfigureAwait(false);
            var parts = (RedisResult[])reply!;
            if (EveryoneRevocation.Ends(ScriptWire.CreatedOf(reply), epoch))
            {
                // The session was created before "everyone at once": it does not exist. What the script did
                // to it is never handed out (a take's value, a counter) and cannot make it live again.
                StoreLog.EndedByEveryone(_store.Logger, target.Tag);
                return (target, field, [RedisResult.Create((int)ScriptStatus.NotFound)]);
            }

            if ((ScriptStatus)(int)parts[0] == ScriptStatus.Rotated && followRotation && hop < RedisSessionStore.MaxRotationHops && SessionIds.IsValid((string?)parts[1]))
            {
                target = _store.KeyOfHandle((string)parts[1]!);
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
                return new AtomicResult(_store.Checked(target, ScriptWire.StatusOf(code)), 0, target.Id) { ExceededLimit = ScriptWire.LimitOf(code) };
        }
    }

    /// <summary>For compare-and-set with encryption: the stored bytes to swap when they decrypt to <paramref name="expected"/>.</summary>
    private async Task<RedisValue> ExpectedStoredAsync(SessionKey target, string field, RedisValue expected, CancellationToken cancellationToken)
    {
        var stored = await _redis.RunAsync("cas", db => db.HashGetAsync(target.Key, field), cancellationToken, idempotent: true, "HGET").ConfigureAwait(false);
        return ScriptWire.ExpectedStored(stored, expected, target.Handle, field, _codec, _store.Time.GetUtcNow());
    }
}
