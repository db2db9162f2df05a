using System.ComponentModel;
using System.Globalization;
using Spectre.Console;
using Spectre.Console.Cli;
using Tessera.Admin;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera watch</c>: live session count and the server's rates (commands, expirations, evictions,
/// hit ratio), refreshed every interval until Ctrl+C or <c>--iterations</c>. A terminal gets a live
/// table; a pipe gets one line per reading (JSON lines with <c>--json</c>).
/// </summary>
internal sealed class WatchCommand(CliEnvironment environment) : ConnectedCommand<WatchCommand.Settings>(environment)
{
    internal sealed class Settings : ConnectionSettings
    {
        [CommandOption("--interval <DURATION>")]
        [Description("Time between readings.")]
        [DefaultValue("2s")]
        public string IntervalText { get; set; } = "2s";

        [CommandOption("--iterations <N>")]
        [Description("Stop after this many readings (0: until Ctrl+C).")]
        [DefaultValue(0)]
        public int Iterations { get; set; }

        [CommandOption("--no-count")]
        [Description("Do not scan to count session keys (only the server's counters).")]
        public bool NoCount { get; set; }

        [CommandOption("--events")]
        [Description("Follow the session lifecycle events (the stream AddTesseraAnalytics writes with EventStream on) instead of the counters.")]
        public bool Events { get; set; }

        [CommandOption("--last <N>")]
        [Description("With --events: print this many recent events first.")]
        [DefaultValue(10)]
        public int Last { get; set; } = 10;

        public TimeSpan Interval { get; private set; }

        public override ValidationResult Validate()
        {
            var result = base.Validate();
            if (!result.Successful)
            {
                return result;
            }

            if (ParseDuration("--interval", IntervalText, TimeSpan.FromMilliseconds(10), out var interval) is { } bad)
            {
                return bad;
            }

            Interval = interval!.Value;
            return Iterations < 0 ? ValidationResult.Error("--iterations cannot be negative.")
                : Last is < 0 or > 1000 ? ValidationResult.Error("--last must be 0 to 1000.")
                : ValidationResult.Success();
        }
    }

    protected override async Task<int> RunAsync(Connected redis, Settings settings, CancellationToken cancellationToken)
    {
        if (settings.Events)
        {
            return await WatchEvents.RunAsync(Env, redis, settings, cancellationToken).ConfigureAwait(false);
        }

        if (Env.Interactive && !settings.Json)
        {
            var table = Render(null, null);
            await Env.Out.Live(table).AutoClear(false).StartAsync(async ctx =>
            {
                await LoopAsync(redis, settings, (previous, current) =>
                {
                    ctx.UpdateTarget(Render(previous, current));
                    ctx.Refresh();
                }, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
            return ExitCodes.Ok;
        }

        await LoopAsync(redis, settings, (previous, current) =>
        {
            var rates = Rates.Of(previous, current);
            if (settings.Json)
            {
                Output.JsonLine(Env, new
                {
                    current.At,
                    current.SessionKeys,
                    current.TotalKeys,
                    current.UsedMemory,
                    current.Clients,
                    current.EvictedKeys,
                    SessionsPerSecond = rates?.Sessions,
                    CommandsPerSecond = rates?.Commands,
                    ExpiredPerSecond = rates?.Expired,
                    EvictedPerSecond = rates?.Evicted,
                    HitRatio = rates?.HitRatio,
                });
            }
            else
            {
                Env.OutWriter.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Output.Time(current.At)} sessions={current.SessionKeys} keys={current.TotalKeys} mem={ByteSizes.Format(current.UsedMemory)} clients={current.Clients} " +
                    $"sessions/s={Fmt(rates?.Sessions)} cmd/s={Fmt(rates?.Commands)} expired/s={Fmt(rates?.Expired)} evicted/s={Fmt(rates?.Evicted)} hit={(rates?.HitRatio is { } h ? h.ToString("P0", CultureInfo.InvariantCulture) : "-")}"));
                Env.OutWriter.Flush();
            }
        }, cancellationToken).ConfigureAwait(false);
        return ExitCodes.Ok;
    }

    private static async Task LoopAsync(Connected redis, Settings settings, Action<WatchSample?, WatchSample> show, CancellationToken cancellationToken)
    {
        WatchSample? previous = null;
        for (var n = 0; settings.Iterations == 0 || n < settings.Iterations; n++)
        {
            if (n > 0)
            {
                await Task.Delay(settings.Interval, cancellationToken).ConfigureAwait(false);
            }

            var current = await redis.Admin.SampleAsync(!settings.NoCount, cancellationToken).ConfigureAwait(false);
            show(previous, current);
            previous = current;
        }
    }

    private static Table Render(WatchSample? previous, WatchSample? current)
    {
        var rates = previous is not null && current is not null ? Rates.Of(previous, current) : null;
        var table = new Table().Border(TableBorder.Rounded).Title($"tessera watch {(current is null ? string.Empty : Output.Time(current.At))}")
            .AddColumn("metric").AddColumn(new TableColumn("value").RightAligned()).AddColumn(new TableColumn("per second").RightAligned());
        table.AddRow("session keys", current is null ? "…" : Output.N(current.SessionKeys), Fmt(rates?.Sessions));
        table.AddRow("all keys", current is null ? "…" : Output.N(current.TotalKeys), "");
        table.AddRow("commands", "", Fmt(rates?.Commands));
        table.AddRow("expired keys", current is null ? "…" : Output.N(current.ExpiredKeys), Fmt(rates?.Expired));
        table.AddRow("evicted keys", current is null ? "…" : current.EvictedKeys > 0 ? $"[red]{Output.N(current.EvictedKeys)}[/]" : "0", Fmt(rates?.Evicted));
        table.AddRow("hit ratio", rates?.HitRatio is { } h ? h.ToString("P0", CultureInfo.InvariantCulture) : "-", "");
        table.AddRow("memory", current is null ? "…" : ByteSizes.Format(current.UsedMemory), "");
        table.AddRow("clients", current is null ? "…" : Output.N(current.Clients), "");
        table.Caption("Ctrl+C to stop");
        return table;
    }

    private static string Fmt(double? value) => value is { } v ? v.ToString("0.#", CultureInfo.InvariantCulture) : "-";

    private sealed record Rates(double Sessions, double Commands, double Expired, double Evicted, double? HitRatio)
    {
        public static Rates? Of(WatchSample? previous, WatchSample current)
        {
            if (previous is null)
            {
                return null;
            }

            var seconds = Math.Max(0.001, (current.At - previous.At).TotalSeconds);
            var hits = current.Hits - previous.Hits;
            var misses = current.Misses - previous.Misses;
            return new Rates(
                (current.SessionKeys - previous.SessionKeys) / seconds,
                (current.Commands - previous.Commands) / seconds,
                (current.ExpiredKeys - previous.ExpiredKeys) / seconds,
                (current.EvictedKeys - previous.EvictedKeys) / seconds,
                hits + misses > 0 ? (double)hits / (hits + misses) : null);
        }
    }
}
