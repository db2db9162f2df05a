using System.Globalization;
using System.Text.RegularExpressions;

namespace Tessera.Cli.Infrastructure;

/// <summary>Parses and prints byte sizes: <c>512</c>, <c>4KB</c>, <c>1.5MB</c>, <c>2KiB</c> (KB and KiB both mean 1024).</summary>
internal static partial class ByteSizes
{
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        var match = text is null ? Match.Empty : Size().Match(text.Trim());
        if (!match.Success || !double.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var unit = match.Groups[2].Value.ToUpperInvariant().Replace("I", string.Empty, StringComparison.Ordinal).TrimEnd('B');
        double factor = unit switch
        {
            "" => 1,
            "K" => 1024,
            "M" => 1024 * 1024,
            "G" => 1024 * 1024 * 1024,
            _ => 0,
        };
        if (factor == 0)
        {
            return false;
        }

        bytes = (long)Math.Round(number * factor);
        return true;
    }

    public static string Format(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.#} KB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.#} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.##} GB"),
    };

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(B|KB|KIB|K|MB|MIB|M|GB|GIB|G)?$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Size();
}
