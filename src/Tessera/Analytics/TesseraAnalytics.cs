using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Tessera.Analytics;

/// <summary>
/// Counts session lifecycle events per UTC day in Redis, without keyspace notifications: an
/// <see cref="ITesseraObserver"/> that sends one fire-and-forget script per counted event (two
/// <c>HINCRBY</c> on the day's hash, the day total and the minute, and a <c>PEXPIRE</c> of 8 days).
/// Plain reads raise no event, so they cost nothing here. Optionally appends each event to a capped
/// stream. Register with <c>services.AddTesseraAnalytics()</c>; read with <see cref="AnalyticsReader"/>.
/// </summary>
public sealed class TesseraAnalytics : ITesseraObserver
{
    // One round trip, one key: both counters and the expiry. ARGV[1] is the expiry in ms.
    internal const string CountScript = """
        for i = 2, #ARGV do
          redis.call('HINCRBY', KEYS[1], ARGV[i], 1)
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[1])
        return 1
        """;

    private static readonly RedisValue RetentionMs = (long)AnalyticsLayout.DayRetention.TotalMilliseconds;

    private readonly TesseraConnection _connection;
    private readonly string _keyPrefix;
    private readonly TesseraAnalyticsOptions _options;
    private readonly TimeProvider _time;
    private readonly RedisKey _stream;

    /// <summary>Creates the observer.</summary>
    /// <param name="connection">The sessions' connection.</param>
    /// <param name="storeOptions">The store options (for the key prefix).</param>
    /// <param name="options">What to record.</param>
    /// <param name="timeProvider">The clock that decides the day and minute.</param>
    public TesseraAnalytics(TesseraConnection connection, IOptions<TesseraOptions> storeOptions, IOptions<TesseraAnalyticsOptions> options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(storeOptions);
        ArgumentNullException.ThrowIfNull(options);
        _connection = connection;
        _keyPrefix = storeOptions.Value.KeyPrefix;
        _options = options.Value;
        _time = timeProvider ?? TimeProvider.System;
        _stream = AnalyticsLayout.StreamKey(_keyPrefix);
    }

    /// <summary>The options in force.</summary>
    public TesseraAnalyticsOptions Options => _options;

    /// <inheritdoc/>
    public void OnEvent(in TesseraEvent sessionEvent)
    {
        var counters = AnalyticsLayout.CountersOf(sessionEvent);
        if (counters.Count == 0 && !_options.EventStream)
        {
            return;
        }

        // Connected already: an event follows a Redis operation of the store.
        if (_connection.Multiplexer is not { } multiplexer)
        {
            return;
        }

        var db = multiplexer.GetDatabase();
        var now = _time.GetUtcNow();
        if (counters.Count > 0)
        {
            var args = new RedisValue[1 + (2 * counters.Count)];
            args[0] = RetentionMs;
            for (var n = 0; n < counters.Count; n++)
            {
                args[1 + (2 * n)] = counters[n];
                args[2 + (2 * n)] = AnalyticsLayout.MinuteField(counters[n], now);
            }

            db.ScriptEvaluate(CountScript, [AnalyticsLayout.DayKey(_keyPrefix, DateOnly.FromDateTime(now.UtcDateTime))], args, CommandFlags.FireAndForget);
        }

        if (_options.EventStream)
        {
            db.StreamAdd(
                _stream,
                [
                    new NameValueEntry("kind", sessionEvent.Kind.ToString()),
                    new NameValueEntry("tag", sessionEvent.SessionTag),
                    new NameValueEntry("user", sessionEvent.UserId ?? string.Empty),
                    new NameValueEntry("new", sessionEvent.NewSessionTag ?? string.Empty),
                    new NameValueEntry("detail", sessionEvent.Detail ?? string.Empty),
                ],
                maxLength: _options.StreamMaxLength,
                useApproximateMaxLength: true,
                flags: CommandFlags.FireAndForget);
        }
    }
}
