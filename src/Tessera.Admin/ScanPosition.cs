using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Tessera.Admin;

/// <summary>
/// Where a paged listing stopped: which master (by its place in the sorted list of masters), the
/// <c>SCAN</c> cursor on it, and, when a page ended inside a batch, a short tag of the last key the
/// page returned. Its text form (<c>2.81920</c> or <c>2.81920.ab12cd34</c>) is what <c>--cursor</c> takes.
/// It never holds a session identifier.
/// </summary>
/// <param name="Server">The index of the master in the endpoint-sorted list of masters.</param>
/// <param name="Cursor">The <c>SCAN</c> cursor on that master where the batch starts.</param>
/// <param name="AfterTag">When set, skip the batch's keys up to and including the one with this tag.</param>
public sealed record ScanPosition(int Server, ulong Cursor, string? AfterTag = null)
{
    /// <summary>The start of the keyspace.</summary>
    public static ScanPosition Start { get; } = new(0, 0);

    /// <inheritdoc/>
    public override string ToString() =>
        AfterTag is null
            ? string.Create(CultureInfo.InvariantCulture, $"{Server}.{Cursor}")
            : string.Create(CultureInfo.InvariantCulture, $"{Server}.{Cursor}.{AfterTag}");

    /// <summary>Parses the text form.</summary>
    /// <param name="text">Text such as <c>0.0</c> or <c>1.4096.ab12cd34</c>.</param>
    /// <param name="position">The position.</param>
    /// <returns><see langword="true"/> when the text is a position.</returns>
    public static bool TryParse(string? text, [NotNullWhen(true)] out ScanPosition? position)
    {
        position = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parts = text.Trim().Split('.');
        if (parts.Length is < 2 or > 3
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var server)
            || !ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var cursor))
        {
            return false;
        }

        string? tag = null;
        if (parts.Length == 3)
        {
            tag = parts[2];
            if (tag.Length != 8 || !tag.All(char.IsAsciiHexDigitLower))
            {
                return false;
            }
        }

        position = new ScanPosition(server, cursor, tag);
        return true;
    }
}
