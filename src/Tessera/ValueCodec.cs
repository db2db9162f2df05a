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
            ? new ProtectedValueCodec(options.Compression, options.Encryption)
            : new ValueCodec();
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
            (byte)'-' or (>= (byte)'0' and <= (byte)'9') => stored,
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
