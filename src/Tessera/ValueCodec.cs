namespace Tessera;

/// <summary>
/// Turns caller values into stored bytes and back. Every stored value starts with a header byte
/// (0: plain; higher values mark compression and encryption), except counters written by the
/// atomic API, which are decimal text that Redis HINCRBY can change in place: their first byte is a
/// digit or '-', never a header.
/// </summary>
public class ValueCodec
{
    /// <summary>Header of a plain value.</summary>
    public const byte Plain = 0;

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
}
