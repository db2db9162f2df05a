using System.Globalization;
using StackExchange.Redis;

namespace Tessera.Analytics;

/// <summary>Reads what <see cref="TesseraAnalytics"/> recorded: day totals, the minutes of the last hour, the event stream.</summary>
public sealed class AnalyticsReader
{
    private readonly IDatabase _db;
    private readonly string _keyPrefix;

    /// <summary>Creates the reader.</summary>
    /// <param name="database">The sessions' database.</param>
    /// <param name="keyPrefix">The sessions' key prefix.</param>
    public AnalyticsReader(IDatabase database, string keyPrefix)
    {
        ArgumentNullException.ThrowIfNull(database);
        ArgumentException.ThrowIfNullOrEmpty(keyPrefix);
        _db = database;
        _keyPrefix = keyPrefix;
    }

    /// <summary>The counters of the last <paramref name="days"/> UTC days, oldest first, today last.</summary>
    /// <param name="today">Today (UTC).</param>
    /// <param name="days">How many days, 1 to 8.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>One entry per day, with zeros for days without data.</returns>
    public async Task<IReadOnlyList<AnalyticsDay>> ReadDaysAsync(DateOnly today, int days = 7, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(days, 8);
        var dates = Enumerable.Range(0, days).Select(n => today.AddDays(n - days + 1)).ToArray();
        var fields = AnalyticsLayout.Counters.Select(static c => (RedisValue)c).ToArray();
        var replies = await Task.WhenAll(dates.Select(d => _db.HashGetAsync(AnalyticsLayout.DayKey(_keyPrefix, d), fields)))
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<AnalyticsDay>(days);
        for (var n = 0; n < days; n++)
        {
            var counts = new Dictionary<string, long>(StringComparer.Ordinal);
            for (var f = 0; f < fields.Length; f++)
            {
                counts[AnalyticsLayout.Counters[f]] = replies[n][f].IsNull ? 0 : (long)replies[n][f];
            }

            result.Add(new AnalyticsDay(dates[n], counts));
        }

        return result;
    }

    /// <summary>One counter per minute over the last <paramref name="minutes"/> minutes up to <paramref name="now"/>, oldest first.</summary>
    /// <param name="counter">The counter (<see cref="AnalyticsLayout.Counters"/>).</param>
    /// <param name="now">The end of the window.</param>
    /// <param name="minutes">How many minutes, 1 to 1440.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>(minute start, count) pairs.</returns>
    public async Task<IReadOnlyList<(DateTimeOffset Minute, long Count)>> ReadMinutesAsync(string counter, DateTimeOffset now, int minutes = 60, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(counter);
        ArgumentOutOfRangeException.ThrowIfLessThan(minutes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minutes, 1440);
        var end = new DateTimeOffset(now.UtcDateTime.Ticks - (now.UtcDateTime.Ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
        var slots = Enumerable.Range(0, minutes).Select(n => end.AddMinutes(n - minutes + 1)).ToArray();
        var result = new List<(DateTimeOffset, long)>(minutes);
        foreach (var group in slots.GroupBy(static s => DateOnly.FromDateTime(s.UtcDateTime)))
        {
            var list = group.ToArray();
            var values = await _db.HashGetAsync(
                AnalyticsLayout.DayKey(_keyPrefix, group.Key),
                [.. list.Select(s => (RedisValue)AnalyticsLayout.MinuteField(counter, s))]).WaitAsync(cancellationToken).ConfigureAwait(false);
            for (var n = 0; n < list.Length; n++)
            {
                result.Add((list[n], values[n].IsNull ? 0 : (long)values[n]));
            }
        }

        return result;
    }

    /// <summary>
    /// Whether the server has streams (Garnet, for one, has not), asked with <c>COMMAND INFO</c>: a
    /// stream command is never sent to find out (a server that lacks one may answer it twice).
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns><see langword="true"/> when every connected primary has <c>XADD</c> and <c>XRANGE</c>.</returns>
    public async Task<bool> StreamsSupportedAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var capabilities = await Redis.CapabilityProbe.ProbeAsync(_db.Multiplexer, TimeSpan.FromSeconds(5)).WaitAsync(cancellationToken).ConfigureAwait(false);
            return capabilities.Streams && capabilities.Supports("xrange");
        }
        catch (Redis.RedisReplyException)
        {
            return false;
        }
    }

    /// <summary>The latest events of the stream, newest first.</summary>
    /// <param name="count">At most this many, 1 to 1000.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The events.</returns>
    public async Task<IReadOnlyList<AnalyticsEvent>> LatestEventsAsync(int count = 50, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 1000);
        var entries = await _db.StreamRangeAsync(AnalyticsLayout.StreamKey(_keyPrefix), "-", "+", count, Order.Descending)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return [.. entries.Select(Parse)];
    }

    /// <summary>The events after <paramref name="afterId"/>, oldest first (for following the stream).</summary>
    /// <param name="afterId">The last id seen, or <c>0-0</c> for the start; <c>$</c> is not accepted here.</param>
    /// <param name="count">At most this many.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The events.</returns>
    public async Task<IReadOnlyList<AnalyticsEvent>> EventsAfterAsync(string afterId, int count = 500, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(afterId);
        var entries = await _db.StreamRangeAsync(AnalyticsLayout.StreamKey(_keyPrefix), "(" + afterId, "+", count, Order.Ascending)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return [.. entries.Select(Parse)];
    }

    /// <summary>The id of the newest event, or <c>0-0</c> when the stream is empty.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The id.</returns>
    public async Task<string> LastEventIdAsync(CancellationToken cancellationToken = default)
    {
        var last = await _db.StreamRangeAsync(AnalyticsLayout.StreamKey(_keyPrefix), "-", "+", 1, Order.Descending)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        return last.Length > 0 ? (string)last[0].Id! : "0-0";
    }

    /// <summary>Records a live-session count (the dashboard does, after each full scan) and drops samples older than 7 days.</summary>
    /// <param name="at">When.</param>
    /// <param name="sessions">The count.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task.</returns>
    public async Task RecordSampleAsync(DateTimeOffset at, long sessions, CancellationToken cancellationToken = default)
    {
        var key = AnalyticsLayout.SamplesKey(_keyPrefix);
        var ms = at.ToUnixTimeMilliseconds();
        var member = string.Concat(ms.ToString(CultureInfo.InvariantCulture), ":", sessions.ToString(CultureInfo.InvariantCulture));
        await Task.WhenAll(
            _db.SortedSetAddAsync(key, member, ms),
            _db.SortedSetRemoveRangeByScoreAsync(key, double.NegativeInfinity, ms - TimeSpan.FromDays(7).TotalMilliseconds),
            _db.ExecuteAsync("PEXPIRE", [key, (long)AnalyticsLayout.DayRetention.TotalMilliseconds])).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The live-session counts recorded since <paramref name="since"/>, oldest first.</summary>
    /// <param name="since">The start.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>(time, sessions) pairs.</returns>
    public async Task<IReadOnlyList<(DateTimeOffset At, long Sessions)>> ReadSamplesAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        var members = await _db.SortedSetRangeByScoreAsync(AnalyticsLayout.SamplesKey(_keyPrefix), since.ToUnixTimeMilliseconds(), double.PositiveInfinity)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        var result = new List<(DateTimeOffset, long)>(members.Length);
        foreach (var m in members)
        {
            var text = (string?)m ?? string.Empty;
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0
                && long.TryParse(text.AsSpan(0, colon), NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
                && long.TryParse(text.AsSpan(colon + 1), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            {
                result.Add((DateTimeOffset.FromUnixTimeMilliseconds(ms), n));
            }
        }

        return result;
    }

    private static AnalyticsEvent Parse(StreamEntry entry)
    {
        var id = (string)entry.Id!;
        var dash = id.IndexOf('-', StringComparison.Ordinal);
        var ms = long.TryParse(dash > 0 ? id.AsSpan(0, dash) : id, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : 0;
        return new AnalyticsEvent(
            id,
            DateTimeOffset.FromUnixTimeMilliseconds(ms),
            (string?)entry["kind"] ?? "?",
            (string?)entry["tag"] ?? "?",
            Empty(entry["user"]),
            Empty(entry["new"]),
            Empty(entry["detail"]));

        static string? Empty(RedisValue v) => v.IsNullOrEmpty ? null : (string?)v;
    }
}
