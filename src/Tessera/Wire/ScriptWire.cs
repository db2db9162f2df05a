using System.Globalization;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Wire;

/// <summary>
/// The write scripts' wire format: the arguments of a create and a commit (in the order
/// <see cref="LuaScripts.Create"/> and <see cref="LuaScripts.Commit"/> read them) and the replies: the
/// status (<see cref="ScriptStatus"/>) read back through the enum and, for a refusal, the limit. Pure.
/// </summary>
internal static class ScriptWire
{
    /// <summary>Bytes no stored value starts with (0xFF is no header and no digit).</summary>
    private static readonly RedisValue NeverStored = new byte[] { 0xFF, 0xFE, 0xFD };

    /// <summary>The arguments of <see cref="LuaScripts.Create"/>: the timeouts, the limits, metadata, then the values.</summary>
    /// <param name="handle">The session's handle (values are encoded for it).</param>
    /// <param name="changes">The first values.</param>
    /// <param name="write">Metadata to store, or null.</param>
    /// <param name="options">The store options (timeouts and limits).</param>
    /// <param name="codec">The value codec.</param>
    /// <returns>The arguments.</returns>
    public static RedisValue[] CreateArgs(string handle, SessionChanges changes, SessionWrite? write, TesseraOptions options, ValueCodec codec)
    {
        var args = new List<RedisValue>(12 + (2 * changes.Count))
        {
            (long)options.IdleTimeout.TotalMilliseconds,
            (long)options.AbsoluteTimeout.TotalMilliseconds,
            options.MaxSessionBytes,
            options.MaxSessionFields,
        };
        AddMetadata(args, write);
        foreach (var (key, value) in changes.Entries)
        {
            if (value is not null)
            {
                var field = SessionLayout.ToField(key);
                args.Add(field);
                args.Add(changes.IsCounter(key) ? value : codec.Encode(handle, field, value, changes.ExpiresAt(key)));
            }
        }

        return [.. args];
    }

    /// <summary>The arguments of <see cref="LuaScripts.Commit"/>: cleared, the limits, the number of sets, the sets, the removes.</summary>
    /// <param name="handle">The session's handle (values are encoded for it).</param>
    /// <param name="changes">The changes.</param>
    /// <param name="write">Metadata to write, or null.</param>
    /// <param name="options">The store options (limits).</param>
    /// <param name="codec">The value codec.</param>
    /// <returns>The arguments.</returns>
    public static RedisValue[] CommitArgs(string handle, SessionChanges changes, SessionWrite? write, TesseraOptions options, ValueCodec codec)
    {
        var sets = new List<RedisValue>(2 * changes.Count + 8);
        var removes = new List<RedisValue>();
        AddMetadata(sets, write);
        foreach (var (key, value) in changes.Entries)
        {
            var field = SessionLayout.ToField(key);
            if (value is null)
            {
                removes.Add(field);
            }
            else
            {
                sets.Add(field);
                sets.Add(changes.IsCounter(key) ? value : codec.Encode(handle, field, value, changes.ExpiresAt(key)));
            }
        }

        var args = new RedisValue[4 + sets.Count + removes.Count];
        args[0] = changes.Cleared ? 1 : 0;
        args[1] = options.MaxSessionBytes;
        args[2] = options.MaxSessionFields;
        args[3] = sets.Count / 2;
        sets.CopyTo(args, 4);
        removes.CopyTo(args, 4 + sets.Count);
        return args;
    }

    /// <summary>
    /// The arguments of <see cref="LuaScripts.Atomic"/>: the operation, the field, the two operands encoded
    /// (set-if-absent and compare-and-set store encoded values), the limits and the refresh granularity (a counter
    /// bump's are <see cref="Redis.RedisGateway.BumpAsync"/>'s).
    /// </summary>
    /// <param name="op"><c>setnx</c>, <c>cas</c>, <c>del</c> or <c>take</c>.</param>
    /// <param name="handle">The session's handle (values are encoded for it).</param>
    /// <param name="field">The field.</param>
    /// <param name="a">The first operand (set-if-absent's value, compare-and-set's expected value or null).</param>
    /// <param name="b">The second operand (compare-and-set's new value).</param>
    /// <param name="expectedStored">With encryption, the stored bytes compare-and-set swaps (read first), else null.</param>
    /// <param name="options">The store options (limits).</param>
    /// <param name="granularityMs">The refresh granularity.</param>
    /// <param name="codec">The value codec.</param>
    /// <param name="nowMs">The app's clock, unix ms: the clock a value's own lifetime is judged by (as every reader does).</param>
    /// <returns>The arguments.</returns>
    public static RedisValue[] AtomicArgs(string op, string handle, string field, RedisValue a, RedisValue b, RedisValue? expectedStored, TesseraOptions options, RedisValue granularityMs, ValueCodec codec, long nowMs)
    {
        var encodedA = op is "setnx" or "cas" && !a.IsNull ? (RedisValue)codec.Encode(handle, field, ((ReadOnlyMemory<byte>)a).Span) : a;
        var encodedB = op == "cas" ? (RedisValue)codec.Encode(handle, field, ((ReadOnlyMemory<byte>)b).Span) : b;
        if (op == "cas" && a.IsNull)
        {
            encodedA = RedisValue.EmptyString;
        }

        if (expectedStored is { } stored)
        {
            encodedA = stored;
        }

        return [op, field, encodedA.IsNull ? RedisValue.EmptyString : encodedA, encodedB, options.MaxSessionBytes, granularityMs, options.MaxSessionFields, nowMs];
    }

    /// <summary>
    /// For compare-and-set with encryption: the stored bytes to compare against when the stored value
    /// decrypts to <paramref name="expected"/> (empty for "absent"), or bytes no value can have.
    /// </summary>
    /// <param name="stored">The value as stored now (HGET), or null.</param>
    /// <param name="expected">The plaintext the caller expects, or null for "no value".</param>
    /// <param name="handle">The session's handle.</param>
    /// <param name="field">The field.</param>
    /// <param name="codec">The value codec.</param>
    /// <param name="now">Now, by the app's clock: a value past its own lifetime is "no value".</param>
    /// <returns>The bytes the script compares the stored value with.</returns>
    public static RedisValue ExpectedStored(RedisValue stored, RedisValue expected, string handle, string field, ValueCodec codec, DateTimeOffset now)
    {
        if (stored.IsNull)
        {
            return expected.IsNull ? RedisValue.EmptyString : NeverStored;
        }

        try
        {
            var plain = codec.Decode(handle, field, (byte[])stored!);
            if (ValueCodec.IsExpired((byte[])stored!, now))
            {
                // Expired is absent: "expected no value" swaps exactly these bytes (the script sees them too).
                return expected.IsNull ? stored : NeverStored;
            }

            if (expected.IsNull)
            {
                return NeverStored;
            }

            return plain.AsSpan().SequenceEqual(((ReadOnlyMemory<byte>)expected).Span) ? stored : NeverStored;
        }
        catch (CorruptSessionException)
        {
            return NeverStored;
        }
    }

    /// <summary>
    /// The value a take removed, as the request would have read it: decoded; a counter as its decimal text,
    /// except with encryption on, where a plaintext value is no value (anyone with write access could have
    /// written it), as for a read; a value past its own lifetime is no value (it was removed all the same).
    /// </summary>
    /// <param name="stored">The stored bytes the script removed, or nil when there were none.</param>
    /// <param name="handle">The session's handle (values are decoded for it).</param>
    /// <param name="field">The field.</param>
    /// <param name="codec">The value codec.</param>
    /// <param name="now">Now, by the app's clock.</param>
    /// <returns>The value, or null.</returns>
    /// <exception cref="CorruptSessionException">The stored bytes do not decode (or do not authenticate).</exception>
    public static byte[]? Taken(RedisResult stored, string handle, string field, ValueCodec codec, DateTimeOffset now)
    {
        if (stored.IsNull || (byte[]?)stored is not { Length: > 0 } bytes)
        {
            return null;
        }

        if (ValueCodec.IsCounter(bytes))
        {
            return codec.AuthenticatesValues ? null : bytes;
        }

        var value = codec.Decode(handle, field, bytes);
        return ValueCodec.IsExpired(bytes, now) ? null : value;
    }

    /// <summary>
    /// The arguments of <see cref="LuaScripts.Rewrite"/>: per stale value, the field, its stored bytes as read, and
    /// its new encoding (its own deadline kept).
    /// </summary>
    /// <param name="handle">The session's handle (values are encoded for it).</param>
    /// <param name="record">The record as loaded.</param>
    /// <param name="codec">The value codec (the current settings).</param>
    /// <returns>The arguments.</returns>
    public static RedisValue[] RewriteArgs(string handle, SessionRecord record, ValueCodec codec)
    {
        var args = new RedisValue[3 * record.StaleStored.Count];
        var n = 0;
        foreach (var (key, stored) in record.StaleStored)
        {
            var field = SessionLayout.ToField(key);
            args[n++] = field;
            args[n++] = stored;
            args[n++] = codec.Encode(handle, field, record.Values[key], record.Expiries.TryGetValue(key, out var at) ? at : null);
        }

        return args;
    }

    /// <summary>
    /// The arguments of <see cref="LuaScripts.Rewrite"/> that remove the values a load found past their own
    /// lifetime: per value, the field, its stored bytes as read, and an empty value (remove; Tessera never
    /// stores an empty value).
    /// </summary>
    /// <param name="record">The record as loaded.</param>
    /// <returns>The arguments.</returns>
    public static RedisValue[] PruneArgs(SessionRecord record)
    {
        var args = new RedisValue[3 * record.ExpiredStored.Count];
        var n = 0;
        foreach (var (key, stored) in record.ExpiredStored)
        {
            args[n++] = SessionLayout.ToField(key);
            args[n++] = stored;
            args[n++] = RedisValue.EmptyString;
        }

        return args;
    }

    /// <summary>Reads a create's or commit's reply: <c>{status, rotated-to or now, size}</c>.</summary>
    /// <param name="reply">The reply.</param>
    /// <param name="rotatedTo">The handle a tombstone forwards to, for <see cref="ScriptStatus.Rotated"/>.</param>
    /// <param name="size">The session's size after a successful write.</param>
    /// <param name="exceeded">The limit a refusal names.</param>
    /// <returns>The status (<see cref="CommitStatus.Corrupt"/> for a key that is not a session).</returns>
    public static CommitStatus WriteStatus(RedisResult reply, out string? rotatedTo, out long size, out SessionSizeLimit exceeded)
    {
        var parts = (RedisResult[])reply!;
        var code = (ScriptStatus)(int)parts[0];
        rotatedTo = code == ScriptStatus.Rotated ? (string?)parts[1] : null;
        size = code is ScriptStatus.Ok ? (long)parts[2] : 0;
        exceeded = LimitOf(code);
        return StatusOf(code);
    }

    /// <summary>
    /// The created time (<c>#c</c>, unix ms) an Ok reply of a write or atomic script ends with, for the
    /// "everyone at once" rule (<see cref="EveryoneRevocation"/>); 0 when the reply carries none.
    /// </summary>
    /// <param name="reply">The script's reply.</param>
    /// <returns>Unix ms.</returns>
    public static long CreatedOf(RedisResult reply)
    {
        var parts = (RedisResult[])reply!;
        return parts.Length > 3 && (ScriptStatus)(int)parts[0] == ScriptStatus.Ok && !parts[3].IsNull ? (long)parts[3] : 0;
    }

    /// <summary>The limit a script's refusal names: both come back as <see cref="CommitStatus.TooLarge"/>.</summary>
    /// <param name="code">The script status.</param>
    /// <returns>The limit, or <see cref="SessionSizeLimit.None"/>.</returns>
    public static SessionSizeLimit LimitOf(ScriptStatus code) => code switch
    {
        ScriptStatus.TooLarge => SessionSizeLimit.Bytes,
        ScriptStatus.TooManyFields => SessionSizeLimit.Fields,
        _ => SessionSizeLimit.None,
    };

    /// <summary>What a script status means to a caller.</summary>
    /// <param name="code">The script status.</param>
    /// <returns>The commit status (<see cref="CommitStatus.Corrupt"/> for a key that is not a session).</returns>
    public static CommitStatus StatusOf(ScriptStatus code) => code switch
    {
        ScriptStatus.Ok => CommitStatus.Committed,
        ScriptStatus.NotFound or ScriptStatus.Expired => CommitStatus.Gone,
        ScriptStatus.Rotated => CommitStatus.Rotated,
        ScriptStatus.TooLarge or ScriptStatus.TooManyFields => CommitStatus.TooLarge,
        ScriptStatus.Conflict => CommitStatus.Conflict,
        _ => CommitStatus.Corrupt,
    };

    private static void AddMetadata(List<RedisValue> args, SessionWrite? write)
    {
        if (write is null)
        {
            return;
        }

        if (write.IdleTimeout is { } idle)
        {
            args.Add(SessionLayout.IdleMs);
            args.Add((long)idle.TotalMilliseconds);
        }

        if (write.Created is { } created)
        {
            args.Add(SessionLayout.Created);
            args.Add(created.ToUnixTimeMilliseconds());
        }

        if (write.AbsoluteDeadline is { } deadline)
        {
            args.Add(SessionLayout.Deadline);
            args.Add(deadline.ToUnixTimeMilliseconds());
        }

        AddIfSet(args, SessionLayout.User, write.UserId);
        AddIfSet(args, SessionLayout.ClientIp, write.ClientIp);
        AddIfSet(args, SessionLayout.UserAgent, write.UserAgent);
        AddIfSet(args, SessionLayout.Login, write.LoginHandle);
        AddIfSet(args, SessionLayout.DeviceName, DeviceText.Name(write.DeviceName));
        AddIfSet(args, SessionLayout.SignInMethod, DeviceText.Method(write.SignInMethod));
        if (write.AuthenticatedAt is { } authenticated)
        {
            args.Add(SessionLayout.AuthenticatedAt);
            args.Add(authenticated == DateTimeOffset.MinValue ? SessionLayout.Now : authenticated.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));
        }

        static void AddIfSet(List<RedisValue> args, string field, string? value)
        {
            if (value is not null)
            {
                args.Add(field);
                args.Add(value);
            }
        }
    }
}
