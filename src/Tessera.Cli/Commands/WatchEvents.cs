using System.Globalization;
using Tessera.Analytics;
using Tessera.Cli.Infrastructure;

namespace Tessera.Cli.Commands;

/// <summary>
/// <c>tessera watch --events</c>: follows the lifecycle event stream that <c>AddTesseraAnalytics(o => o.EventStream = true)</c>
/// writes (the same one the dashboard's Live page reads), like <c>tail -f</c>: the last <c>--last</c>
/// events first, then every new one, polled each interval. Sessions appear by tag only.
/// </summary>
internal static class WatchEvents
{
    public static async Task<int> RunAsync(CliEnvironment env, ConnectedCommand<WatchCommand.Settings>.Connected redis, WatchCommand.Settings settings, CancellationToken cancellationToken)
    {
        var reader = new AnalyticsReader(redis.Keyspace.Database, redis.Keyspace.Prefix);
        if (!await reader.StreamsSupportedAsync(cancellationToken).ConfigureAwait(false))
        {
            throw new CliException("This server has no streams (XADD), so there is no event stream to watch (Garnet, for one, has none).");
        }

        var latest = await reader.LatestEventsAsync(Math.Max(1, settings.Last), cancellationToken).ConfigureAwait(false);
        var last = latest.Count > 0 ? latest[0].Id : await reader.LastEventIdAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<AnalyticsEvent> batch = settings.Last > 0 ? [.. latest.Reverse()] : [];
        for (var n = 0; settings.Iterations == 0 || n < settings.Iterations; n++)
        {
            if (n > 0)
            {
                await Task.Delay(settings.Interval, cancellationToken).ConfigureAwait(false);
                batch = await reader.EventsAfterAsync(last, 1000, cancellationToken).ConfigureAwait(false);
            }

            foreach (var e in batch)
            {
                last = e.Id;
                if (settings.Json)
                {
                    Output.JsonLine(env, new { e.Id, e.At, e.Kind, Session = e.SessionTag, User = e.UserId, NewSession = e.NewSessionTag, e.Detail });
                }
                else
                {
                    env.OutWriter.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{Output.Time(e.At)} {e.Kind,-15} session={e.SessionTag} user={e.UserId ?? "-"} new={e.NewSessionTag ?? "-"} detail={e.Detail ?? "-"}"));
                }
            }

            env.OutWriter.Flush();
        }

        return ExitCodes.Ok;
    }
}
