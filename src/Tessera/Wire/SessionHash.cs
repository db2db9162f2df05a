using System.Collections.Frozen;
using System.Globalization;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Wire;

/// <summary>
/// The one reader of a session hash, for an <c>HGETALL</c> (a load) and an <c>HMGET</c> of
/// <see cref="SessionLayout.MetadataFields"/> (devices, the admin tools) alike, and the one rule of
/// what a session is (<see cref="KindOf"/>; the scripts' <c>meta()</c> says the same in Lua): a
/// tombstone holds <c>#r</c>; a session holds <c>#a</c>, <c>#i</c> and <c>#d</c>; any other hash is
/// foreign. Pure: unit-tested without a server.
/// </summary>
internal static class SessionHash
{
    private static readonly FrozenDictionary<string, SessionMetadataField> Slots =
        SessionLayout.MetadataFields.Select(static (f, n) => ((string)f!, (SessionMetadataField)n)).ToFrozenDictionary(static p => p.Item1, static p => p.Item2, StringComparer.Ordinal);

    /// <summary>What the metadata slots (in <see cref="SessionMetadataField"/> order) say the key is.</summary>
    /// <param name="slots">The metadata, one value per <see cref="SessionMetadataField"/>; null where absent.</param>
    /// <returns>The kind.</returns>
    public static SessionHashKind KindOf(ReadOnlySpan<RedisValue> slots)
    {
        if (!slots[(int)SessionMetadataField.RotatedTo].IsNull)
        {
            return SessionHashKind.Tombstone;
        }

        var last = !slots[(int)SessionMetadataField.LastAccess].IsNull;
        var idle = !slots[(int)SessionMetadataField.IdleMs].IsNull;
        var deadline = !slots[(int)SessionMetadataField.Deadline].IsNull;
        if (last && idle && deadline)
        {
            return SessionHashKind.Session;
        }

        foreach (var slot in slots)
        {
            if (!slot.IsNull)
            {
                return SessionHashKind.Foreign;
            }
        }

        return SessionHashKind.Absent;
    }

    /// <summary>
    /// Splits an <c>HGETALL</c> reply: the metadata into slots (in <see cref="SessionMetadataField"/> order), the
    /// caller's fields into <paramref name="userFields"/> (field name as stored, value).
    /// </summary>
    /// <param name="entries">The reply.</param>
    /// <param name="userFields">Receives the caller fields, or null to skip them.</param>
    /// <returns>The metadata slots.</returns>
    public static RedisValue[] Split(HashEntry[] entries, List<HashEntry>? userFields)
    {
        var slots = new RedisValue[SessionLayout.MetadataFields.Length];
        foreach (var entry in entries)
        {
            var field = (string)entry.Name!;
            if (SessionLayout.ToKey(field) is not null)
            {
                userFields?.Add(entry);
            }
            else if (Slots.TryGetValue(field, out var slot))
            {
                slots[(int)slot] = entry.Value;
            }
        }

        return slots;
    }

    /// <summary>The metadata of a session's slots.</summary>
    /// <param name="slots">The slots of a key whose kind is <see cref="SessionHashKind.Session"/>.</param>
    /// <returns>The metadata.</returns>
    /// <exception cref="CorruptSessionException">A time or size field is not an integer.</exception>
    public static SessionMetadata Metadata(ReadOnlySpan<RedisValue> slots) => new()
    {
        Created = DateTimeOffset.FromUnixTimeMilliseconds(Integer(slots[(int)SessionMetadataField.Created])),
        // A session written before '#ii' existed had its identifier since creation, as far as anyone knows.
        IdIssuedAt = DateTimeOffset.FromUnixTimeMilliseconds(Integer(slots[(int)(slots[(int)SessionMetadataField.IdIssued].IsNull ? SessionMetadataField.Created : SessionMetadataField.IdIssued)])),
        LastAccess = DateTimeOffset.FromUnixTimeMilliseconds(Integer(slots[(int)SessionMetadataField.LastAccess])),
        IdleTimeout = TimeSpan.FromMilliseconds(Integer(slots[(int)SessionMetadataField.IdleMs])),
        AbsoluteDeadline = DateTimeOffset.FromUnixTimeMilliseconds(Integer(slots[(int)SessionMetadataField.Deadline])),
        Size = Integer(slots[(int)SessionMetadataField.Size]),
        UserId = Text(slots[(int)SessionMetadataField.User]),
        ClientIp = Text(slots[(int)SessionMetadataField.ClientIp]),
        UserAgent = Text(slots[(int)SessionMetadataField.UserAgent]),
        // Authentication time 0 (or none) is never; a login that is not a handle is none.
        AuthenticatedAt = Integer(slots[(int)SessionMetadataField.AuthenticatedAt]) is > 0 and var at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null,
        LoginHandle = Text(slots[(int)SessionMetadataField.Login]) is { } login && SessionIds.IsValid(login) ? login : null,
        LastClientIp = Text(slots[(int)SessionMetadataField.LastClientIp]),
        LastUserAgent = Text(slots[(int)SessionMetadataField.LastUserAgent]),
        DeviceName = Text(slots[(int)SessionMetadataField.DeviceName]),
        SignInMethod = Text(slots[(int)SessionMetadataField.SignInMethod]),
    };

    /// <summary>
    /// The record of a session's hash: its metadata and its caller values decoded, with the counters
    /// (plain decimal text) and the values stored with a retired key (to re-encode) marked. A value past its
    /// own lifetime (<see cref="ValueCodec.IsExpired"/> at <paramref name="now"/>) is left out and listed in
    /// <see cref="SessionRecord.ExpiredStored"/> for removal.
    /// </summary>
    /// <param name="id">The identifier the record is loaded under.</param>
    /// <param name="handle">The session's handle (values are decoded for it).</param>
    /// <param name="slots">The metadata slots of a key whose kind is <see cref="SessionHashKind.Session"/>.</param>
    /// <param name="userFields">The caller fields as stored.</param>
    /// <param name="codec">The value codec.</param>
    /// <param name="now">When it was read, by the app's clock (values expire by it).</param>
    /// <returns>The record.</returns>
    /// <exception cref="CorruptSessionException">A field or value cannot be read.</exception>
    public static SessionRecord Record(string id, string handle, ReadOnlySpan<RedisValue> slots, List<HashEntry> userFields, ValueCodec codec, DateTimeOffset now)
    {
        var metadata = Metadata(slots);
        var values = new Dictionary<string, byte[]>(userFields.Count, StringComparer.Ordinal);
        HashSet<string>? counters = null, stale = null;
        Dictionary<string, byte[]>? staleStored = null, expiredStored = null;
        Dictionary<string, DateTimeOffset>? expiries = null;
        foreach (var entry in userFields)
        {
            var field = (string)entry.Name!;
            var fieldKey = SessionLayout.ToKey(field)!;
            var stored = (byte[])entry.Value!;
            var value = codec.Decode(handle, field, stored);
            if (ValueCodec.ExpiresAt(stored) is { } expiresAt)
            {
                // Decoded, so (with encryption) the deadline is authenticated. Past it, the value is no value.
                if (now >= expiresAt)
                {
                    (expiredStored ??= new Dictionary<string, byte[]>(StringComparer.Ordinal))[fieldKey] = stored;
                    continue;
                }

                (expiries ??= new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal))[fieldKey] = expiresAt;
            }

            values[fieldKey] = value;
            if (codec.NeedsRewrite(stored))
            {
                (stale ??= new HashSet<string>(StringComparer.Ordinal)).Add(fieldKey);
                (staleStored ??= new Dictionary<string, byte[]>(StringComparer.Ordinal))[fieldKey] = stored;
            }

            if (ValueCodec.IsCounter(stored))
            {
                if (codec.AuthenticatesValues && !ValueCodec.IsWholeInteger(stored))
                {
                    throw new CorruptSessionException("A plaintext value is not a whole integer, with encryption on.");
                }

                (counters ??= new HashSet<string>(StringComparer.Ordinal)).Add(fieldKey);
            }
        }

        return new SessionRecord(id, metadata, values, now)
        {
            Counters = counters ?? (IReadOnlySet<string>)new HashSet<string>(),
            Stale = stale ?? (IReadOnlySet<string>)new HashSet<string>(),
            StaleStored = staleStored ?? (IReadOnlyDictionary<string, byte[]>)new Dictionary<string, byte[]>(),
            Expiries = expiries ?? (IReadOnlyDictionary<string, DateTimeOffset>)new Dictionary<string, DateTimeOffset>(),
            ExpiredStored = expiredStored ?? (IReadOnlyDictionary<string, byte[]>)new Dictionary<string, byte[]>(),
        };
    }

    /// <summary>An integer metadata field: 0 when absent.</summary>
    /// <exception cref="CorruptSessionException">It is present and not an integer.</exception>
    public static long Integer(RedisValue value) =>
        value.IsNull ? 0
        : long.TryParse((string?)value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n
        : throw new CorruptSessionException("A metadata field is not an integer.");

    /// <summary>The same rule in Lua, for the admin scripts: <c>is_session(key)</c> is true for a live session hash.</summary>
    public static string LuaIsSession => $$"""
        local function is_session(key)
          local m = redis.call('HMGET', key, '{{SessionLayout.LastAccess}}', '{{SessionLayout.IdleMs}}', '{{SessionLayout.Deadline}}', '{{SessionLayout.RotatedTo}}')
          return m[1] and m[2] and m[3] and not m[4]
        end

        """;

    private static string? Text(RedisValue value) => value.IsNull ? null : (string?)value;
}
