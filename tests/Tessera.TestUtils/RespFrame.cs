using System.Buffers.Text;

namespace Tessera.TestUtils;

/// <summary>Finds where one RESP2/RESP3 frame ends, for a proxy that must act on whole replies.</summary>
public static class RespFrame
{
    /// <summary>The index just past the frame that starts at <paramref name="start"/>, or -1 when it is not complete yet.</summary>
    /// <param name="buffer">The bytes read so far.</param>
    /// <param name="start">Where the frame starts.</param>
    /// <returns>Its end, or -1.</returns>
    /// <exception cref="InvalidDataException">The bytes are not RESP.</exception>
    public static int End(ReadOnlySpan<byte> buffer, int start)
    {
        if (start >= buffer.Length)
        {
            return -1;
        }

        var eol = buffer[start..].IndexOf("\r\n"u8);
        if (eol < 0)
        {
            return -1;
        }

        eol += start;
        var next = eol + 2;
        var type = buffer[start];
        switch (type)
        {
            case (byte)'+' or (byte)'-' or (byte)':' or (byte)'_' or (byte)'#' or (byte)',' or (byte)'(':
                return next;
            case (byte)'$' or (byte)'!' or (byte)'=':
            {
                var n = Length(buffer[(start + 1)..eol]);
                if (n < 0)
                {
                    return next;
                }

                var end = next + n + 2;
                return end <= buffer.Length ? (int)end : -1;
            }

            case (byte)'*' or (byte)'~' or (byte)'>' or (byte)'%' or (byte)'|':
            {
                var n = Length(buffer[(start + 1)..eol]);
                if (n < 0)
                {
                    return next;
                }

                if (type is (byte)'%' or (byte)'|')
                {
                    n *= 2;
                }

                var at = next;
                for (var i = 0; i < n; i++)
                {
                    at = End(buffer, at);
                    if (at < 0)
                    {
                        return -1;
                    }
                }

                // An attribute is followed by the reply it annotates.
                return type == (byte)'|' ? End(buffer, at) : at;
            }

            default:
                throw new InvalidDataException($"Not a RESP frame: type byte 0x{type:x2}.");
        }
    }

    private static long Length(ReadOnlySpan<byte> digits) =>
        Utf8Parser.TryParse(digits, out long n, out var used) && used == digits.Length ? n : throw new InvalidDataException("A RESP length is not a number.");
}
