using System.Buffers;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Tessera;

/// <summary>
/// A value codec with compression above a threshold and AES-GCM encryption with a key ring.
/// Stored layout: header (bit 0 compressed, bit 1 encrypted), then, when encrypted,
/// key id (1 byte), nonce (12), tag (16), ciphertext; the plaintext (or the value) is, when
/// compressed, an algorithm byte then the compressed bytes. The associated data binds the session
/// id, the field and the header, so a value cannot be moved, nor its flags flipped.
/// </summary>
public sealed class ProtectedValueCodec : ValueCodec
{
    private const byte CompressedFlag = 1;
    private const byte EncryptedFlag = 2;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly CompressionOptions _compression;
    private readonly Dictionary<byte, byte[]> _keys = [];
    private readonly Dictionary<byte, System.Collections.Concurrent.ConcurrentBag<AesGcm>> _ciphers = [];
    private readonly byte _activeKeyId;
    private readonly long _maxDecodedBytes;
    private readonly bool _encrypt;

    /// <summary>Creates the codec.</summary>
    /// <param name="compression">Compression options.</param>
    /// <param name="encryption">Encryption options (a key ring, or none).</param>
    /// <exception cref="ArgumentException">A key is not base64 of 16, 24 or 32 bytes, ids repeat, or the active id is not in the ring.</exception>
    public ProtectedValueCodec(CompressionOptions compression, EncryptionOptions encryption)
        : this(compression, encryption, 16L << 20)
    {
    }

    /// <summary>Creates the codec with a bound on what a compressed value may decode to.</summary>
    /// <param name="compression">Compression settings.</param>
    /// <param name="encryption">Encryption settings.</param>
    /// <param name="maxDecodedBytes">The most a value may decompress to; above it the value is corrupt.</param>
    public ProtectedValueCodec(CompressionOptions compression, EncryptionOptions encryption, long maxDecodedBytes)
    {
        _maxDecodedBytes = maxDecodedBytes > 0 ? maxDecodedBytes : 16L << 20;
        ArgumentNullException.ThrowIfNull(compression);
        ArgumentNullException.ThrowIfNull(encryption);
        _compression = compression;
        foreach (var error in Validate(encryption))
        {
            throw new ArgumentException(error, nameof(encryption));
        }

        foreach (var key in encryption.Keys)
        {
            _keys[key.Id] = Convert.FromBase64String(key.Key);
            _ciphers[key.Id] = [];
        }

        _encrypt = encryption.Enabled;
        _activeKeyId = encryption.ActiveKeyId;
    }

    /// <summary>Checks a key ring; returns what is wrong with it.</summary>
    /// <param name="encryption">The options.</param>
    /// <returns>Errors, each naming the option.</returns>
    public static IEnumerable<string> Validate(EncryptionOptions encryption)
    {
        ArgumentNullException.ThrowIfNull(encryption);
        if (!encryption.Enabled)
        {
            yield break;
        }

        var seen = new HashSet<byte>();
        foreach (var key in encryption.Keys)
        {
            if (key.Id == 0)
            {
                yield return "Encryption.Keys: key id 0 is reserved; use 1..255.";
            }

            if (!seen.Add(key.Id))
            {
                yield return $"Encryption.Keys: key id {key.Id} appears twice.";
            }

            var bytes = new byte[64];
            if (!Convert.TryFromBase64String(key.Key ?? string.Empty, bytes, out var length) || length is not (16 or 24 or 32))
            {
                yield return $"Encryption.Keys: key {key.Id} must be base64 of 16, 24 or 32 random bytes (32 recommended; EncryptionOptions.NewKey() makes one).";
            }
        }

        if (!seen.Contains(encryption.ActiveKeyId))
        {
            yield return $"Encryption.ActiveKeyId: {encryption.ActiveKeyId} is not a key in the ring.";
        }
    }

    /// <inheritdoc/>
    public override byte[] Encode(string sessionId, string field, ReadOnlySpan<byte> value)
    {
        byte[]? compressed = null;
        if (_compression.Enabled && value.Length >= _compression.ThresholdBytes)
        {
            compressed = Compress(value, _compression.Algorithm);
            if (compressed.Length >= value.Length)
            {
                compressed = null;
            }
        }

        var payload = compressed is null ? value : compressed;
        var header = (byte)((compressed is null ? 0 : CompressedFlag) | (_encrypt ? EncryptedFlag : 0));
        if (!_encrypt)
        {
            var stored = new byte[payload.Length + 1];
            stored[0] = header;
            payload.CopyTo(stored.AsSpan(1));
            return stored;
        }

        var result = new byte[1 + 1 + NonceSize + TagSize + payload.Length];
        result[0] = header;
        result[1] = _activeKeyId;
        var nonce = result.AsSpan(2, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var aes = RentCipher(_activeKeyId);
        try
        {
            aes.Encrypt(nonce, payload, result.AsSpan(2 + NonceSize + TagSize), result.AsSpan(2 + NonceSize, TagSize), AssociatedData(sessionId, field, header));
        }
        finally
        {
            _ciphers[_activeKeyId].Add(aes);
        }

        return result;
    }

    /// <inheritdoc/>
    /// <inheritdoc/>
    public override bool AuthenticatesValues => _encrypt;

    /// <inheritdoc/>
    public override bool NeedsRewrite(ReadOnlySpan<byte> stored) =>
        _encrypt && stored.Length > 0 && !IsCounter(stored)
            && ((stored[0] & EncryptedFlag) == 0 || (stored.Length > 1 && stored[1] != _activeKeyId));

    /// <inheritdoc/>
    protected override byte[] DecodeOther(string sessionId, string field, byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        var header = stored[0];
        if (header is not (CompressedFlag or EncryptedFlag or (CompressedFlag | EncryptedFlag)))
        {
            throw new CorruptSessionException($"Unknown value header 0x{header:x2}.");
        }

        byte[] payload;
        if ((header & EncryptedFlag) != 0)
        {
            if (stored.Length < 2 + NonceSize + TagSize)
            {
                throw new CorruptSessionException("An encrypted value is truncated.");
            }

            if (!_keys.ContainsKey(stored[1]))
            {
                throw new CorruptSessionException($"A value is encrypted with key {stored[1]}, which is not in the key ring.");
            }

            payload = new byte[stored.Length - 2 - NonceSize - TagSize];
            var aes = RentCipher(stored[1]);
            try
            {
                aes.Decrypt(stored.AsSpan(2, NonceSize), stored.AsSpan(2 + NonceSize + TagSize), stored.AsSpan(2 + NonceSize, TagSize), payload, AssociatedData(sessionId, field, header));
            }
            catch (CryptographicException ex)
            {
                throw new CorruptSessionException("An encrypted value failed authentication (tampered, moved, or a wrong key).", ex);
            }
            finally
            {
                _ciphers[stored[1]].Add(aes);
            }
        }
        else
        {
            payload = stored.AsSpan(1).ToArray();
        }

        return (header & CompressedFlag) != 0 ? Decompress(payload, _maxDecodedBytes) : payload;
    }

    // An AesGcm instance must not be used by two threads at once; a pool per key keeps its key
    // schedule instead of paying for it on every value.
    private AesGcm RentCipher(byte keyId) =>
        _ciphers[keyId].TryTake(out var cipher) ? cipher : new AesGcm(_keys[keyId], TagSize);

    private static byte[] AssociatedData(string sessionId, string field, byte header)
    {
        var data = new byte[Encoding.UTF8.GetByteCount(sessionId) + Encoding.UTF8.GetByteCount(field) + 2];
        var n = Encoding.UTF8.GetBytes(sessionId, data);
        data[n++] = 0;
        n += Encoding.UTF8.GetBytes(field, data.AsSpan(n));
        data[n] = header;
        return data;
    }

    private static byte[] Compress(ReadOnlySpan<byte> value, CompressionAlgorithm algorithm)
    {
        using var output = new MemoryStream(value.Length / 2 + 16);
        output.WriteByte((byte)algorithm);
        using (Stream stream = algorithm == CompressionAlgorithm.Brotli
            ? new BrotliStream(output, new BrotliCompressionOptions { Quality = 1 }, leaveOpen: true)
            : new DeflateStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            stream.Write(value);
        }

        return output.ToArray();
    }

    private static byte[] Decompress(byte[] payload, long max)
    {
        if (payload.Length < 1)
        {
            throw new CorruptSessionException("A compressed value is empty.");
        }

        try
        {
            using var input = new MemoryStream(payload, 1, payload.Length - 1);
            using Stream stream = (CompressionAlgorithm)payload[0] switch
            {
                CompressionAlgorithm.Brotli => new BrotliStream(input, CompressionMode.Decompress),
                CompressionAlgorithm.Deflate => new DeflateStream(input, CompressionMode.Decompress),
                _ => throw new CorruptSessionException($"Unknown compression {payload[0]}."),
            };
            using var output = new MemoryStream();
            var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
            try
            {
                int n;
                while ((n = stream.Read(buffer, 0, buffer.Length)) > 0)
                {
                    if (output.Length + n > max)
                    {
                        throw new CorruptSessionException($"A compressed value decodes to more than {max} bytes (a decompression bomb, or a limit set too low).");
                    }

                    output.Write(buffer, 0, n);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            return output.ToArray();
        }
        catch (InvalidDataException ex)
        {
            throw new CorruptSessionException("A compressed value does not decompress.", ex);
        }
    }
}
