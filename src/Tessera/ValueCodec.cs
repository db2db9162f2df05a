using System.Buffers.Binary;

namespace Tessera;

/// <summary>
/// Turns caller values into stored bytes and back. Every stored value starts with a header byte
/// (0: plain; bits 0 and 1 mark compression and encryption; bit 2, <see cref="ExpiresFlag"/>, a value
/// with its own lifetime, whose deadline follows the header as 8 bytes), except counters written by the
/// atomic API, which are decimal text that Redis HINCRBY can change in place: their first byte is a
/// digit or '-', never a header.
/// </summary>
public class ValueCodec
{
    /// <summary>Header of a plain value.</summary>
    public const byte Plain = 0;

    /// <summary>
    /// Header bit of a value with its own lifetime: the 8 bytes after the header are its deadline, unix
    /// milliseconds by the app's clock (<see cref="TimeProvider"/>), big-endian. An encrypting codec
    /// authenticates them (they are in the associated data), so they cannot be edited in Redis.
    /// </summary>
    public const byte ExpiresFlag = 4;

    /// <summary>The size of a value's deadline after its header.</summary>
    public const int DeadlineSize = 8;

    /// <summary>
    /// Whether stored bytes carry a deadline: a header (below 8, never a counter) with <see cref="ExpiresFlag"/>
    /// and room for the deadline.
    /// </summary>
    /// <param name="stored">The stored bytes.</param>
    /// <returns><see langword="true"/> for a value with its own lifetime.</returns>
    public static bool HasDeadline(ReadOnlySpan<byte> stored) =>
        stored.Length > DeadlineSize && stored[0] is >= ExpiresFlag and < 8;

    /// <summary>
    /// The deadline stored bytes carry, or <see langword="null"/> for a value that lives as long as its
    /// session. Read from the bytes as they are: trust it only for a value that decoded (with encryption on,
    /// decoding authenticates the deadline).
    /// </summary>
    /// <param name="stored">The stored bytes.</param>
    /// <returns>The deadline, or null.</returns>
    public static DateTimeOffset? ExpiresAt(ReadOnlySpan<byte> stored) =>
        HasDeadline(stored) ? FromUnixMs(BinaryPrimitives.ReadInt64BigEndian(stored.Slice(1, DeadlineSize))) : null;

    /// <summary>
    /// The one rule of expiry: a value is gone at its deadline (<c>now &gt;= deadline</c>, by the app's
    /// clock); a value without one never expires on its own.
    /// </summary>
    /// <param name="stored">The stored bytes.</param>
    /// <param name="now">Now, by the app's clock.</param>
    /// <returns><see langword="true"/> when the value has expired.</returns>
    public static bool IsExpired(ReadOnlySpan<byte> stored, DateTimeOffset now) => ExpiresAt(stored) is { } at && now >= at;

    /// <summary>Whether stored bytes are a counter of the atomic API (decimal text, no header).</summary>
    /// <param name="stored">The stored bytes.</param>
    /// <returns><see langword="true"/> for a counter.</returns>
    public static bool IsCounter(ReadOnlySpan<byte> stored) => stored.Length > 0 && stored[0] is (byte)'-' or (>= (byte)'0' and <= (byte)'9');

    /// <summary>
    /// Whether every value must prove where it came from (encryption on). Then the only plaintext a
    /// session may hold is a counter of the atomic API, as a whole integer, and it is read only through
    /// the counter API (<c>GetInt64</c>), never as a value: a plaintext forged into Redis cannot pass
    /// for a value the application wrote.
    /// </summary>
    public virtual bool AuthenticatesValues => false;

    /// <summary>Whether stored bytes are a whole decimal integer in the range of a 64-bit counter.</summary>
    /// <param name="stored">The stored bytes.</param>
    /// <returns><see langword="true"/> for a well-formed counter.</returns>
    public static bool IsWholeInteger(ReadOnlySpan<byte> stored) =>
        stored.Length is > 0 and <= 20
        && System.Buffers.Text.Utf8Parser.TryParse(stored, out long _, out var used)
        && used == stored.Length
        && stored[0] != (byte)'+';

    /// <summary>
    /// Whether a stored value should be written again with the current settings (for example it
    /// is encrypted with a key that is no longer the active one). The base codec never asks.
    /// </summary>
    /// <param name="stored">The stored bytes.</param>
    /// <returns><see langword="true"/> to re-encode it on the next commit.</returns>
    public virtual bool NeedsRewrite(ReadOnlySpan<byte> stored) => false;

    /// <summary>Creates the codec the options ask for: plain, or with compression and encryption.</summary>
    /// <param name="options">The store options.</param>
    /// <returns>The codec.</returns>
    public static ValueCodec Create(TesseraOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Compression.Enabled || options.Encryption.Enabled
            ? new ProtectedValueCodec(options.Compression, options.Encryption, MaxDecodedBytes(options))
            : new ValueCodec();
    }

    /// <summary>
    /// The most a stored value may decode to: 16 times <see cref="TesseraOptions.MaxSessionBytes"/>
    /// (16 MiB when the size is not limited). Above it the value is corrupt, not a memory spike.
    /// </summary>
    /// <param name="options">The store options.</param>
    /// <returns>Bytes.</returns>
    public static long MaxDecodedBytes(TesseraOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.MaxSessionBytes > 0 ? 16L * options.MaxSessionBytes : 16L << 20;
    }

    /// <summary>Encodes a value for storage.</summary>
    /// <param name="sessionId">The session the value belongs to.</param>
    /// <param name="field">The hash field it is stored under.</param>
    /// <param name="value">The caller's bytes.</param>
    /// <returns>The bytes to store.</returns>
    public virtual byte[] Encode(string sessionId, string field, ReadOnlySpan<byte> value)
    {
        var stored = new byte[value.Length + 1];
        stored[0] = Plain;
        value.CopyTo(stored.AsSpan(1));
        return stored;
    }

    /// <summary>
    /// Encodes a value for storage, with its own deadline when <paramref name="expiresAt"/> is set
    /// (<see cref="ExpiresFlag"/>), else as <see cref="Encode(string, string, ReadOnlySpan{byte})"/>.
    /// </summary>
    /// <param name="sessionId">The session the value belongs to.</param>
    /// <param name="field">The hash field it is stored under.</param>
    /// <param name="value">The caller's bytes.</param>
    /// <param name="expiresAt">When the value expires, or null for "with the session".</param>
    /// <returns>The bytes to store.</returns>
    public byte[] Encode(string sessionId, string field, ReadOnlySpan<byte> value, DateTimeOffset? expiresAt) =>
        expiresAt is { } at ? EncodeExpiring(sessionId, field, value, at.ToUnixTimeMilliseconds()) : Encode(sessionId, field, value);

    /// <summary>
    /// Encodes a value with its own deadline. The base codec encodes it as
    /// <see cref="Encode(string, string, ReadOnlySpan{byte})"/> does and sets <see cref="ExpiresFlag"/> on
    /// the header, with the deadline after it; a codec whose header is not below <see cref="ExpiresFlag"/>
    /// must override this (and <see cref="DecodeExpiring"/>), and a codec that authenticates values
    /// authenticates the deadline too.
    /// </summary>
    /// <param name="sessionId">The session the value belongs to.</param>
    /// <param name="field">The hash field it is stored under.</param>
    /// <param name="value">The caller's bytes.</param>
    /// <param name="deadlineMs">The deadline, unix milliseconds.</param>
    /// <returns>The bytes to store.</returns>
    /// <exception cref="NotSupportedException">The codec's header leaves no room for the flag.</exception>
    protected virtual byte[] EncodeExpiring(string sessionId, string field, ReadOnlySpan<byte> value, long deadlineMs)
    {
        var inner = Encode(sessionId, field, value);
        if (inner.Length == 0 || inner[0] >= ExpiresFlag)
        {
            throw new NotSupportedException($"{GetType().Name} does not store values with their own lifetime (its header 0x{(inner.Length > 0 ? inner[0] : 0):x2} leaves no room for the flag); override EncodeExpiring.");
        }

        var stored = new byte[inner.Length + DeadlineSize];
        stored[0] = (byte)(inner[0] | ExpiresFlag);
        BinaryPrimitives.WriteInt64BigEndian(stored.AsSpan(1, DeadlineSize), deadlineMs);
        inner.AsSpan(1).CopyTo(stored.AsSpan(1 + DeadlineSize));
        return stored;
    }

    /// <summary>
    /// Decodes a value that carries a deadline (<see cref="ExpiresFlag"/>). Whether it has expired is the
    /// caller's question (<see cref="IsExpired"/>): decoding answers only whether the bytes are a value.
    /// The base codec removes the deadline and decodes the rest as <see cref="Decode"/> does.
    /// </summary>
    /// <param name="sessionId">The session the value belongs to.</param>
    /// <param name="field">The hash field it is stored under.</param>
    /// <param name="stored">The stored bytes (header with <see cref="ExpiresFlag"/>).</param>
    /// <returns>The caller's bytes.</returns>
    /// <exception cref="CorruptSessionException">The bytes are not a value this codec wrote.</exception>
    protected virtual byte[] DecodeExpiring(string sessionId, string field, byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!HasDeadline(stored))
        {
            throw new CorruptSessionException("A value with a lifetime is truncated.");
        }

        var inner = new byte[stored.Length - DeadlineSize];
        inner[0] = (byte)(stored[0] & ~ExpiresFlag);
        stored.AsSpan(1 + DeadlineSize).CopyTo(inner.AsSpan(1));
        return Decode(sessionId, field, inner);
    }

    /// <summary>Decodes stored bytes into the caller's value.</summary>
    /// <param name="sessionId">The session the value belongs to.</param>
    /// <param name="field">The hash field it is stored under.</param>
    /// <param name="stored">The stored bytes.</param>
    /// <returns>The caller's bytes.</returns>
    /// <exception cref="CorruptSessionException">The bytes are not a value this codec wrote.</exception>
    public virtual byte[] Decode(string sessionId, string field, byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.Length == 0)
        {
            throw new CorruptSessionException("An empty stored value has no header.");
        }

        return stored[0] switch
        {
            Plain => stored.AsSpan(1).ToArray(),
            // A copy: the reply's bytes may be kept by the near cache and read by later requests.
            (byte)'-' or (>= (byte)'0' and <= (byte)'9') => stored.AsSpan().ToArray(),
            >= ExpiresFlag and < 8 => DecodeExpiring(sessionId, field, stored),
            _ => DecodeOther(sessionId, field, stored),
        };
    }

    /// <summary>Decodes a value whose header is not plain; the base codec knows no other.</summary>
    /// <param name="sessionId">The session the value belongs to.</param>
    /// <param name="field">The hash field it is stored under.</param>
    /// <param name="stored">The stored bytes.</param>
    /// <returns>The caller's bytes.</returns>
    protected virtual byte[] DecodeOther(string sessionId, string field, byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        throw new CorruptSessionException($"Unknown value header 0x{stored[0]:x2}.");
    }

    private static DateTimeOffset FromUnixMs(long ms) =>
        ms <= DateTimeOffset.MinValue.ToUnixTimeMilliseconds() ? DateTimeOffset.MinValue
        : ms >= DateTimeOffset.MaxValue.ToUnixTimeMilliseconds() ? DateTimeOffset.MaxValue
        : DateTimeOffset.FromUnixTimeMilliseconds(ms);
}
