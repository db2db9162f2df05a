using System.Text;

namespace Tessera;

/// <summary>
/// Text from clients (a user agent) made safe to store and to print in an operator's terminal: C0
/// and C1 control characters (escape sequences start with them) and Unicode bidirectional overrides
/// and isolates (which reorder what is shown) are removed.
/// </summary>
public static class TerminalText
{
    /// <summary>Removes control characters and bidi overrides.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The text without them (the same instance when there were none).</returns>
    public static string Strip(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var n = 0;
        while (n < text.Length && !IsUnsafe(text[n]))
        {
            n++;
        }

        if (n == text.Length)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        builder.Append(text, 0, n);
        for (; n < text.Length; n++)
        {
            if (!IsUnsafe(text[n]))
            {
                builder.Append(text[n]);
            }
        }

        return builder.ToString();
    }

    /// <summary>Whether a character must not reach a terminal.</summary>
    /// <param name="c">The character.</param>
    /// <returns><see langword="true"/> for a C0/C1 control, DEL, or a bidi control.</returns>
    public static bool IsUnsafe(char c) =>
        c < 0x20 || (c >= 0x7F && c <= 0x9F) || (c >= '\u202A' && c <= '\u202E') || (c >= '\u2066' && c <= '\u2069') || c is '\u200E' or '\u200F' or '\u061C';
}
