using System.Globalization;
using System.Text.RegularExpressions;

namespace Tessera.Cli.Infrastructure;

/// <summary>Parses and prints durations the way operators write them: <c>500ms</c>, <c>30s</c>, <c>10m</c>, <c>1h30m</c>, <c>2d</c>.</summary>
internal static partial class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var matches = Part().Matches(text.Trim());
        if (matches.Count == 0 || string.Concat(matches.Select(static m => m.Value)) != text.Trim())
        {
            return false;
        }

        foreach (Match match in matches)
        {
            if (!double.TryParse(match.Groups[1].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
            {
                return false;
            }

            value += match.Groups[2].Value.ToLowerInvariant() switch
            {
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                "h" => TimeSpan.FromHours(number),
                "d" => TimeSpan.FromDays(number),
                _ => TimeSpan.Zero,
            };
        }

        return true;
    }

    public static string Format(TimeSpan? value)
    {
        if (value is not { } t)
        {
            return "-";
        }

        if (t < TimeSpan.Zero)
        {
            return "-" + Format(-t);
        }

        if (t < TimeSpan.FromSeconds(1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0}ms");
        }

        if (t < TimeSpan.FromMinutes(1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0}s");
        }

        if (t < TimeSpan.FromHours(1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{t.Minutes}m{t.Seconds:00}s");
        }

        if (t < TimeSpan.FromDays(1))
        {
            return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours}h{t.Minutes:00}m");
        }

        return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalDays}d{t.Hours:00}h");
    }

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h|d)", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Part();
}
