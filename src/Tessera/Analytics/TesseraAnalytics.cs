using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
public sealed partial class TesseraAnalytics : ITesseraObserver
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
    private readonly ILogger _logger;
    private int _warned;

    /// <summary>Creates the observer.</summary>
    /// <param name="connection">The sessions' connection.</param>
    /// <param name="storeOptions">The store options (for the key prefix).</param>
    /// <param name="options">What to record.</param>
    /// <param name="timeProvider">The clock that decides the day and minute.</param>
    /// <param name="logger">Says once when the event stream is off because the server has no streams.</param>
    public TesseraAnalytics(TesseraConnection connection, IOptions<TesseraOptions> storeOptions, IOptions<TesseraAnalyticsOptions> options, TimeProvider? timeProvider = null, ILogger<TesseraAnalytics>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(storeOptions);
        ArgumentNullException.ThrowIfNull(options);
        _connection = connection;
        _keyPrefix = storeOptions.Value.KeyPrefix;
        _options = options.Value;
        _time = timeProvider ?? TimeProvider.System;
        _stream = AnalyticsLayout.StreamKey(_keyPrefix);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        if (_options.EventStream)
        {
            connection.CapabilitiesChanged += (_, capabilities) => WarnIfNoStreams(capabilities);
            WarnIfNoStreams(connection.Capabilities);
        }
    }

    /// <summary>
    /// Whether events go to the stream now: asked for, and the server is known to have streams. While
    /// the server is not probed yet (or again, after a reconnect) events are counted but not streamed.
    /// </summary>
    public bool StreamingEvents => _options.EventStream && _connection.Capabilities.Streams;

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

        // Never a command the server lacks: Garnet, for one, answers an unknown XADD twice, and every later
        // reply on the connection would go to the wrong command.
        if (StreamingEvents)
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

    private void WarnIfNoStreams(ServerCapabilities capabilities)
    {
        if ((capabilities.IsKnown || capabilities.Error is not null) && !capabilities.Streams && Interlocked.Exchange(ref _warned, 1) == 0)
        {
            LogNoStreams(_logger, capabilities.ToString());
        }
    }

    [LoggerMessage(40, LogLevel.Warning, "The analytics event stream is off: the server has no streams ({Capabilities}). The day counters go on; the dashboard's live events and tessera watch --events stay empty.")]
    private static partial void LogNoStreams(ILogger logger, string capabilities);
}
