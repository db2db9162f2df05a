using System.Buffers.Text;
using System.Security.Cryptography;

namespace Tessera;

/// <summary>
/// Creates and checks session identifiers: 32 bytes from a CSPRNG, written as 43 characters of
/// unpadded base64url text.
/// </summary>
public static class SessionIds
{
    /// <summary>The number of random bytes in an identifier.</summary>
    public const int ByteLength = 32;

    /// <summary>The length of an identifier as text.</summary>
    public const int TextLength = 43;

    /// <summary>Creates a new identifier from the operating system's CSPRNG.</summary>
    /// <returns>43 characters of base64url text.</returns>
    public static string NewId()
    {
        Span<byte> bytes = stackalloc byte[ByteLength];
        RandomNumberGenerator.Fill(bytes);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>
    /// Tells whether <paramref name="candidate"/> has the form of an identifier this library issues.
    /// Anything else is never sent to Redis.
    /// </summary>
    /// <param name="candidate">Text from a cookie or a caller.</param>
    /// <returns><see langword="true"/> when the text is 43 base64url characters that decode to 32 bytes.</returns>
    public static bool IsValid(ReadOnlySpan<char> candidate)
    {
        if (candidate.Length != TextLength)
        {
            return false;
        }

        foreach (var c in candidate)
        {
            if (!IsBase64UrlChar(c))
            {
                return false;
            }
        }

        // 43 characters carry 258 bits; the last character's two low bits must be zero for 256.
        return (DecodeChar(candidate[^1]) & 0b11) == 0;
    }

    /// <inheritdoc cref="IsValid(ReadOnlySpan{char})"/>
    public static bool IsValid(string? candidate) => candidate is not null && IsValid(candidate.AsSpan());

    /// <summary>
    /// A short, stable, non-reversible tag for an identifier, for logs and metrics: the first
    /// 8 hex digits of its SHA-256. An identifier is never logged whole.
    /// </summary>
    /// <param name="id">The identifier.</param>
    /// <returns>Eight lower-case hex digits.</returns>
    public static string LogTag(string? id)
    {
        if (string.IsNullOrEmpty(id))
        {
            return "-";
        }

        Span<byte> hash = stackalloc byte[32];
        Span<byte> utf8 = stackalloc byte[Math.Min(id.Length * 3, 512)];
        var written = System.Text.Encoding.UTF8.GetBytes(id.AsSpan(0, Math.Min(id.Length, 170)), utf8);
        SHA256.HashData(utf8[..written], hash);
        return Convert.ToHexStringLower(hash[..4]);
    }

    /// <summary>
    /// The handle of a session: base64url(SHA-256) of the identifier's 43 ASCII characters, 43 characters
    /// (its first 4 bytes are the <see cref="LogTag"/>, so logs name a session the same from either). Redis
    /// holds a session, its index entry, its lock and its tombstones under the handle, never under the
    /// identifier, so nothing read from Redis (SCAN, a dump, a replica, SLOWLOG) works as a cookie.
    /// The identifier has 256 random bits, so no secret is needed: the hash cannot be reversed.
    /// </summary>
    /// <param name="id">A well-formed identifier (<see cref="IsValid(string?)"/>).</param>
    /// <returns>43 characters of base64url text: safe to show to operators and users, never a credential.</returns>
    /// <exception cref="ArgumentException"><paramref name="id"/> is not a well-formed identifier.</exception>
    public static string Handle(string id)
    {
        if (!IsValid(id))
        {
            throw new ArgumentException("Not a well-formed session identifier.", nameof(id));
        }

        Span<byte> ascii = stackalloc byte[TextLength];
        System.Text.Encoding.ASCII.GetBytes(id, ascii);
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(ascii, hash);
        return Base64Url.EncodeToString(hash);
    }

    /// <summary>The <see cref="LogTag"/> of the session a handle names, without its identifier.</summary>
    /// <param name="handle">A handle from <see cref="Handle"/> (or read from Redis).</param>
    /// <returns>Eight lower-case hex digits, or "-" when the text is not a handle.</returns>
    public static string TagOfHandle(string? handle)
    {
        if (!IsValid(handle))
        {
            return "-";
        }

        Span<byte> bytes = stackalloc byte[ByteLength];
        Base64Url.DecodeFromChars(handle, bytes);
        return Convert.ToHexStringLower(bytes[..4]);
    }

    private static bool IsBase64UrlChar(char c) =>
        c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_';

    private static int DecodeChar(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '-' => 62,
        _ => 63,
    };
}
