using System.Globalization;

namespace Tessera.Demo;

/// <summary>Times and durations as the page shows them.</summary>
internal static class Format
{
    /// <summary>A UTC time with milliseconds: <c>2026-05-01 12:00:03.120 UTC</c>.</summary>
    /// <param name="time">The time.</param>
    /// <returns>The text.</returns>
    public static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A UTC time of day: <c>12:00:03 UTC</c>.</summary>
    /// <param name="time">The time.</param>
    /// <returns>The text.</returns>
    public static string Clock(DateTimeOffset time) =>
        time.UtcDateTime.ToString("HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>A duration for a person: <c>15 s</c>, <c>20 min</c>, <c>1 h 30 min</c>, <c>2 d</c>.</summary>
    /// <param name="span">The duration.</param>
    /// <returns>The text.</returns>
    public static string Duration(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            return "-" + Duration(-span);
        }

        return span.TotalSeconds switch
        {
            < 1 => $"{span.TotalMilliseconds:0} ms",
            < 60 => span.Milliseconds == 0 ? $"{span.TotalSeconds:0} s" : $"{span.TotalSeconds:0.0} s",
            < 3600 => span.Seconds == 0 ? $"{span.TotalMinutes:0} min" : $"{(int)span.TotalMinutes} min {span.Seconds} s",
            < 86_400 => span.Minutes == 0 ? $"{span.TotalHours:0} h" : $"{(int)span.TotalHours} h {span.Minutes} min",
            _ => span.Hours == 0 ? $"{span.TotalDays:0} d" : $"{(int)span.TotalDays} d {span.Hours} h",
        };
    }

    /// <summary>How long ago or from now: <c>3 s ago</c>, <c>in 20 min</c>.</summary>
    /// <param name="time">The time.</param>
    /// <param name="now">Now.</param>
    /// <returns>The text.</returns>
    public static string Relative(DateTimeOffset time, DateTimeOffset now)
    {
        var d = time - now;
        var whole = TimeSpan.FromSeconds(Math.Round(Math.Abs(d.TotalSeconds)));
        return Math.Abs(d.TotalSeconds) < 1 ? "just now"
            : d < TimeSpan.Zero ? $"{Duration(whole)} ago"
            : $"in {Duration(whole)}";
    }
}
