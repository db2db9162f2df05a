using System.Globalization;

namespace Tessera;

/// <summary>
/// The one wire form of a revocation notice on the Redis channel:
/// <c>t1|{origin}|{scope}|{successor}|{handle},{handle},...</c>, where origin is the sending instance's
/// 16 hex digits (so it skips its own notices, already delivered at once), scope the
/// <see cref="RevocationScope"/> number, successor a handle or empty. Handles are 43 base64url characters
/// (no <c>|</c> or <c>,</c>); at most <see cref="MaxHandles"/> per message, more are sent as several.
/// Anything else on the channel is refused whole: a notice is never half-read.
/// </summary>
internal static class RevocationMessage
{
    /// <summary>The most handles in one message (about 44 KB).</summary>
    public const int MaxHandles = 1000;

    /// <summary>The longest message read: anything longer is refused unread.</summary>
    public const int MaxLength = 8 + 17 + 2 + 44 + (MaxHandles * 44);

    private const string Version = "t1";

    /// <summary>A new instance's origin: 16 random hex digits.</summary>
    /// <returns>The origin.</returns>
    public static string NewOrigin() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8));

    /// <summary>Writes a notice (handles already split to at most <see cref="MaxHandles"/>).</summary>
    /// <param name="origin">The sender's origin.</param>
    /// <param name="scope">What ended (never <see cref="RevocationScope.Resync"/>).</param>
    /// <param name="successor">For a rotation, the new handle.</param>
    /// <param name="handles">The handles.</param>
    /// <returns>The message.</returns>
    public static string Format(string origin, RevocationScope scope, string? successor, IEnumerable<string> handles) =>
        string.Create(CultureInfo.InvariantCulture, $"{Version}|{origin}|{(int)scope}|{successor}|{string.Join(',', handles)}");

    /// <summary>Reads a message; false for anything not exactly of the form (the caller counts and drops it).</summary>
    /// <param name="text">The message.</param>
    /// <param name="origin">The sender's origin.</param>
    /// <param name="notice">The notice, marked not local.</param>
    /// <returns>Whether it was a well-formed notice.</returns>
    public static bool TryParse(string? text, out string origin, out RevocationNotice notice)
    {
        origin = string.Empty;
        notice = null!;
        if (text is null || text.Length > MaxLength)
        {
            return false;
        }

        var parts = text.Split('|');
        if (parts.Length != 5 || parts[0] != Version || parts[1].Length != 16 || !parts[1].All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        if (parts[2].Length != 1 || parts[2][0] is < '1' or > '4')
        {
            return false;
        }

        var scope = (RevocationScope)(parts[2][0] - '0');
        var handles = parts[4].Length == 0 ? [] : parts[4].Split(',');
        if (handles.Length > MaxHandles || !handles.All(static h => SessionIds.IsValid(h)))
        {
            return false;
        }

        var successor = parts[3].Length == 0 ? null : parts[3];
        var fits = scope switch
        {
            RevocationScope.Everyone => handles.Length == 0 && successor is null,
            RevocationScope.Rotated => handles.Length == 1 && SessionIds.IsValid(successor),
            _ => handles.Length > 0 && successor is null,
        };
        if (!fits)
        {
            return false;
        }

        origin = parts[1];
        notice = new RevocationNotice(scope, handles, successor, IsLocal: false);
        return true;
    }
}
