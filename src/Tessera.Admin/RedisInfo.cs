using System.Globalization;

namespace Tessera.Admin;

/// <summary>The parsed text of an <c>INFO</c> reply: <c>name:value</c> lines, grouped by <c># Section</c>.</summary>
public sealed class RedisInfo
{
    private readonly Dictionary<string, string> _values = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Parses an <c>INFO</c> reply.</summary>
    /// <param name="text">The raw reply.</param>
    public RedisInfo(string? text)
    {
        // Over RESP3, CLUSTER INFO and friends are verbatim strings: "txt:" then the text.
        text ??= string.Empty;
        if (text.StartsWith("txt:", StringComparison.Ordinal))
        {
            text = text[4..];
        }

        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                _values[line[..colon]] = line[(colon + 1)..];
            }
        }
    }

    /// <summary>Every field.</summary>
    public IReadOnlyDictionary<string, string> Values => _values;

    /// <summary>A field's text, or <see langword="null"/>.</summary>
    /// <param name="name">The field name, such as <c>used_memory</c>.</param>
    /// <returns>The value.</returns>
    public string? this[string name] => _values.TryGetValue(name, out var v) ? v : null;

    /// <summary>A field as a number, or <see langword="null"/>.</summary>
    /// <param name="name">The field name.</param>
    /// <returns>The value.</returns>
    public long? GetInt64(string name) =>
        this[name] is { } v && long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : null;

    /// <summary>A field as a floating-point number, or <see langword="null"/>.</summary>
    /// <param name="name">The field name.</param>
    /// <returns>The value.</returns>
    public double? GetDouble(string name) =>
        this[name] is { } v && double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : null;
}
