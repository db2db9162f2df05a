using System.Globalization;

namespace Tessera.Dashboard.Rendering;

/// <summary>Numbers, sizes, times and durations as the pages show them (invariant culture, UTC).</summary>
internal static class Format
{
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => bytes.ToString(CultureInfo.InvariantCulture) + " B",
        < 1024 * 1024 => (bytes / 1024.0).ToString("0.#", CultureInfo.InvariantCulture) + " KB",
        < 1024L * 1024 * 1024 => (bytes / (1024.0 * 1024)).ToString("0.#", CultureInfo.InvariantCulture) + " MB",
        _ => (bytes / (1024.0 * 1024 * 1024)).ToString("0.##", CultureInfo.InvariantCulture) + " GB",
    };

    public static string Time(DateTimeOffset? at) =>
        at is { } t && t.ToUnixTimeMilliseconds() > 0 ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " UTC" : "-";

    public static string Duration(TimeSpan? span)
    {
        if (span is not { } s)
        {
            return "none";
        }

        return s.TotalSeconds < 1 ? s.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture) + " ms"
            : s.TotalMinutes < 1 ? s.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture) + " s"
            : s.TotalHours < 1 ? s.TotalMinutes.ToString("0.#", CultureInfo.InvariantCulture) + " min"
            : s.TotalDays < 1 ? s.TotalHours.ToString("0.#", CultureInfo.InvariantCulture) + " h"
            : s.TotalDays.ToString("0.#", CultureInfo.InvariantCulture) + " d";
    }

    public static string Ago(DateTimeOffset? at, DateTimeOffset now) =>
        at is { } t && t.ToUnixTimeMilliseconds() > 0 ? Duration(now - t) + " ago" : "-";
}
