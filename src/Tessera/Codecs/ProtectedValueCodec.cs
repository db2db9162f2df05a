using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;

namespace Tessera;

/// <summary>
/// A value codec with compression above a threshold and AES-GCM encryption with a key ring.
/// Stored layout: header (bit 0 compressed, bit 1 encrypted, bit 2 <see cref="ValueCodec.ExpiresFlag"/>), the
/// deadline (8 bytes) when bit 2 is set, then, when encrypted, key id (1 byte), nonce (12), tag (16),
/// ciphertext; the plaintext (or the value) is, when compressed, an algorithm byte then the compressed
/// bytes. The associated data binds the session id, the field, the header and the deadline, so a value
/// cannot be moved, nor its flags flipped, nor its lifetime changed.
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
    public override byte[] Encode(string sessionId, string field, ReadOnlySpan<byte> value) => EncodeCore(sessionId, field, value, null);

    /// <inheritdoc/>
    /// <remarks>The deadline follows the header in the clear (the scripts read it) and is part of the associated data.</remarks>
    protected override byte[] EncodeExpiring(string sessionId, string field, ReadOnlySpan<byte> value, long deadlineMs) =>
        EncodeCore(sessionId, field, value, deadlineMs);

    /// <inheritdoc/>
    public override bool AuthenticatesValues => _encrypt;

    /// <inheritdoc/>
    public override bool NeedsRewrite(ReadOnlySpan<byte> stored)
    {
        if (!_encrypt || stored.Length == 0 || IsCounter(stored))
        {
            return false;
        }

        var body = HasDeadline(stored) ? 1 + DeadlineSize : 1;
        return (stored[0] & EncryptedFlag) == 0 || (stored.Length > body && stored[body] != _activeKeyId);
    }

    /// <inheritdoc/>
    protected override byte[] DecodeOther(string sessionId, string field, byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored[0] is not (CompressedFlag or EncryptedFlag or (CompressedFlag | EncryptedFlag)))
        {
            throw new CorruptSessionException($"Unknown value header 0x{stored[0]:x2}.");
        }

        return DecodeCore(sessionId, field, stored, 1);
    }

    /// <inheritdoc/>
    /// <remarks>With encryption, the deadline is authenticated: bytes edited in Redis fail as a whole.</remarks>
    protected override byte[] DecodeExpiring(string sessionId, string field, byte[] stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (!HasDeadline(stored))
        {
            throw new CorruptSessionException("A value with a lifetime is truncated.");
        }

        return DecodeCore(sessionId, field, stored, 1 + DeadlineSize);
    }

    // The stored layout: header, the deadline when the header has ExpiresFlag, then from `body` on: the
    // payload, or (encrypted) key id, nonce, tag and ciphertext. The associated data ends with everything
    // before `body` (header and deadline), so neither can be changed, added or removed.
    private byte[] EncodeCore(string sessionId, string field, ReadOnlySpan<byte> value, long? deadlineMs)
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
        var header = (byte)((compressed is null ? 0 : CompressedFlag) | (_encrypt ? EncryptedFlag : 0) | (deadlineMs is null ? 0 : ExpiresFlag));
        var body = deadlineMs is null ? 1 : 1 + DeadlineSize;
        var result = new byte[body + (_encrypt ? 1 + NonceSize + TagSize : 0) + payload.Length];
        result[0] = header;
        if (deadlineMs is { } deadline)
        {
            BinaryPrimitives.WriteInt64BigEndian(result.AsSpan(1, DeadlineSize), deadline);
        }

        if (!_encrypt)
        {
            payload.CopyTo(result.AsSpan(body));
            return result;
        }

        result[body] = _activeKeyId;
        var nonce = result.AsSpan(body + 1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var aes = RentCipher(_activeKeyId);
        try
        {
            aes.Encrypt(nonce, payload, result.AsSpan(body + 1 + NonceSize + TagSize), result.AsSpan(body + 1 + NonceSize, TagSize), AssociatedData(sessionId, field, result.AsSpan(0, body)));
        }
        finally
        {
            _ciphers[_activeKeyId].Add(aes);
        }

        return result;
    }

    private byte[] DecodeCore(string sessionId, string field, byte[] stored, int body)
    {
        var header = stored[0];
        byte[] payload;
        if ((header & EncryptedFlag) != 0)
        {
            if (stored.Length < body + 1 + NonceSize + TagSize)
            {
                throw new CorruptSessionException("An encrypted value is truncated.");
            }

            var keyId = stored[body];
            if (!_keys.ContainsKey(keyId))
            {
                throw new CorruptSessionException($"A value is encrypted with key {keyId}, which is not in the key ring.");
            }

            payload = new byte[stored.Length - body - 1 - NonceSize - TagSize];
            var aes = RentCipher(keyId);
            try
            {
                aes.Decrypt(stored.AsSpan(body + 1, NonceSize), stored.AsSpan(body + 1 + NonceSize + TagSize), stored.AsSpan(body + 1 + NonceSize, TagSize), payload, AssociatedData(sessionId, field, stored.AsSpan(0, body)));
            }
            catch (CryptographicException ex)
            {
                throw new CorruptSessionException("An encrypted value failed authentication (tampered, moved, or a wrong key).", ex);
            }
            finally
            {
                _ciphers[keyId].Add(aes);
            }
        }
        else
        {
            payload = stored.AsSpan(body).ToArray();
        }

        return (header & CompressedFlag) != 0 ? Decompress(payload, _maxDecodedBytes) : payload;
    }

    // An AesGcm instance must not be used by two threads at once; a pool per key keeps its key
    // schedule instead of paying for it on every value.
    private AesGcm RentCipher(byte keyId) =>
        _ciphers[keyId].TryTake(out var cipher) ? cipher : new AesGcm(_keys[keyId], TagSize);

    // The session's handle, NUL, the field, then the header (and, for a value with a lifetime, its deadline).
    private static byte[] AssociatedData(string sessionId, string field, ReadOnlySpan<byte> header)
    {
        var data = new byte[Encoding.UTF8.GetByteCount(sessionId) + Encoding.UTF8.GetByteCount(field) + 1 + header.Length];
        var n = Encoding.UTF8.GetBytes(sessionId, data);
        data[n++] = 0;
        n += Encoding.UTF8.GetBytes(field, data.AsSpan(n));
        header.CopyTo(data.AsSpan(n));
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
