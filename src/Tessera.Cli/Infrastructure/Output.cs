using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Tessera.Admin;

namespace Tessera.Cli.Infrastructure;

/// <summary>Shared output helpers: JSON for scripts, progress bars for people.</summary>
internal static class Output
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private static readonly JsonSerializerOptions CompactJsonOptions = new(JsonOptions) { WriteIndented = false };

    public static void Json(CliEnvironment environment, object value)
    {
        environment.OutWriter.WriteLine(JsonSerializer.Serialize(value, JsonOptions));
        environment.OutWriter.Flush();
    }

    /// <summary>Compact JSON, one object per line (for watch).</summary>
    public static void JsonLine(CliEnvironment environment, object value)
    {
        environment.OutWriter.WriteLine(JsonSerializer.Serialize(value, CompactJsonOptions));
        environment.OutWriter.Flush();
    }

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Ms(TimeSpan? value) => value is { } t ? ((long)t.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) : "-1";

    public static string Time(DateTimeOffset? value) =>
        value is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";

    /// <summary>
    /// Text read from Redis (a user id, address, user agent, caller key or value), for a terminal: C0/C1
    /// controls and bidi overrides removed (someone with write access to Redis chooses these bytes; the
    /// library strips them when it records, but not every writer is the library), then markup-escaped.
    /// </summary>
    public static string Stored(string? text) => Markup.Escape(TerminalText.Strip(text ?? "-"));

    /// <summary>A session's handle in output: the full handle (not a credential) only when the operator asked for it, else its short tag.</summary>
    public static string Handle(SessionSummary session, bool showIds) => showIds ? session.Handle ?? session.Key : session.Tag;

    /// <summary>
    /// Runs a scan under a progress bar when the output is a terminal (and not JSON); otherwise plainly.
    /// </summary>
    public static async Task<T> WithProgressAsync<T>(CliEnvironment environment, bool quiet, string label, Func<IProgress<ScanProgress>?, Task<T>> run)
    {
        if (quiet || !environment.Interactive)
        {
            return await run(null).ConfigureAwait(false);
        }

        return await environment.Out.Progress()
            .AutoClear(true)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async ctx =>
            {
                var task = ctx.AddTask(label, autoStart: true, maxValue: 1);
                var progress = new SyncProgress(p =>
                {
                    task.MaxValue = Math.Max(1, Math.Max(p.TotalKeys, p.ScannedKeys));
                    task.Value = p.ScannedKeys;
                    task.Description = string.Create(CultureInfo.InvariantCulture, $"{label}: {N(p.ScannedKeys)} keys, {N(p.Sessions)} sessions");
                });
                var result = await run(progress).ConfigureAwait(false);
                task.Value = task.MaxValue;
                return result;
            }).ConfigureAwait(false);
    }

    /// <summary>Reports on the caller's thread (no synchronization context hop).</summary>
    private sealed class SyncProgress(Action<ScanProgress> report) : IProgress<ScanProgress>
    {
        public void Report(ScanProgress value) => report(value);
    }
}
