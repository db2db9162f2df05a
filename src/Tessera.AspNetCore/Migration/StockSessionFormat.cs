using System.Buffers.Binary;
using System.Text;

namespace Tessera.AspNetCore.Migration;

/// <summary>
/// Reads what the stock <c>DistributedSession</c> (Microsoft.AspNetCore.Session) writes into the
/// distributed cache, serialization revision 2: one byte 2; the entry count in 3 bytes big-endian;
/// the 16-byte session id; then per entry a 2-byte key length, the UTF-8 key, a 4-byte value length
/// and the value (all lengths big-endian).
/// </summary>
internal static class StockSessionFormat
{
    /// <summary>The serialization revision the stock session writes.</summary>
    public const byte Revision = 2;

    private const int IdBytes = 16;

    /// <summary>Decodes a stock session blob.</summary>
    /// <param name="blob">The cache entry.</param>
    /// <param name="entries">The keys and values, in stored order.</param>
    /// <returns><see langword="false"/> for another revision, a truncated blob or trailing bytes.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> blob, out List<KeyValuePair<string, byte[]>> entries)
    {
        entries = [];
        if (blob.Length < 4 + IdBytes || blob[0] != Revision)
        {
            return false;
        }

        var count = (blob[1] << 16) | (blob[2] << 8) | blob[3];
        var rest = blob[(4 + IdBytes)..];
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        for (var i = 0; i < count; i++)
        {
            if (rest.Length < 2)
            {
                return false;
            }

            var keyLength = BinaryPrimitives.ReadUInt16BigEndian(rest);
            rest = rest[2..];
            if (rest.Length < keyLength + 4)
            {
                return false;
            }

            string key;
            try
            {
                key = utf8.GetString(rest[..keyLength]);
            }
            catch (DecoderFallbackException)
            {
                return false;
            }

            rest = rest[keyLength..];
            var valueLength = BinaryPrimitives.ReadInt32BigEndian(rest);
            rest = rest[4..];
            if (valueLength < 0 || rest.Length < valueLength)
            {
                return false;
            }

            entries.Add(new(key, rest[..valueLength].ToArray()));
            rest = rest[valueLength..];
        }

        return rest.IsEmpty;
    }
}
