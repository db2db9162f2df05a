using Microsoft.Extensions.Logging;

namespace Tessera.Redis;

/// <summary>
/// The circuit breaker in front of every Redis call. One failure that says Redis is not answering
/// (a timeout, a lost connection, replies out of step) opens it, at any traffic: from then on calls
/// fail at once (<see cref="TesseraUnavailableException"/>, a 503) instead of each waiting the bound.
/// While it is open a background probe, never a user's request, PINGs Redis every
/// <see cref="CircuitBreakerOptions.ProbeInterval"/>; the first answer closes it. Its state is one
/// field, and its clock is the injected <see cref="TimeProvider"/>.
/// </summary>
internal sealed partial class OutageBreaker
{
    private readonly Func<CancellationToken, Task> _probe;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _probeTimeout;
    private readonly TimeProvider _time;
    private readonly TesseraMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Func<bool> _stopped;
    private int _state;

    /// <summary>Creates a closed breaker.</summary>
    /// <param name="probe">One call that succeeds only when Redis answers (a PING).</param>
    /// <param name="interval">How long to wait between probes.</param>
    /// <param name="probeTimeout">How long one probe may take.</param>
    /// <param name="time">The clock.</param>
    /// <param name="metrics">Where openings are counted.</param>
    /// <param name="logger">Where openings and closings are logged.</param>
    /// <param name="stopped">Whether the connection was disposed (the probe ends then).</param>
    public OutageBreaker(Func<CancellationToken, Task> probe, TimeSpan interval, TimeSpan probeTimeout, TimeProvider time, TesseraMetrics metrics, ILogger logger, Func<bool> stopped)
    {
        _stopped = stopped;
        _probe = probe;
        _interval = interval;
        _probeTimeout = probeTimeout;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>The state now.</summary>
    public BreakerState State => (BreakerState)Volatile.Read(ref _state);

    /// <summary>Whether calls are refused now.</summary>
    public bool IsOpen => Volatile.Read(ref _state) == (int)BreakerState.Open;

    /// <summary>Opens the breaker (once) and starts the probe.</summary>
    /// <param name="cause">The failure that showed Redis is not answering.</param>
    public void Trip(Exception cause)
    {
        if (Interlocked.CompareExchange(ref _state, (int)BreakerState.Open, (int)BreakerState.Closed) != (int)BreakerState.Closed)
        {
            return;
        }

        _metrics.CircuitOpened.Add(1);
        LogOpened(_logger, RedisFailures.Describe(cause), _interval);
        _ = WatchAsync();
    }

    /// <summary>
    /// Sends a PING every interval until one answers, without waiting for the previous one: a PING
    /// stuck on a hung connection answers as soon as Redis does, and one sent after a reconnect answers
    /// at once, so service resumes within about an interval of Redis answering. At most
    /// timeout / interval probes are in flight.
    /// </summary>
    private async Task WatchAsync()
    {
        var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        while (!_stopped() && !answered.Task.IsCompleted)
        {
            _ = ProbeOnceAsync(answered);
            await Task.WhenAny(answered.Task, Task.Delay(_interval, _time)).ConfigureAwait(false);
        }

        if (answered.Task.IsCompleted)
        {
            Volatile.Write(ref _state, (int)BreakerState.Closed);
            LogClosed(_logger);
        }
    }

    private async Task ProbeOnceAsync(TaskCompletionSource answered)
    {
        try
        {
            await _probe(CancellationToken.None).WaitAsync(_probeTimeout, _time).ConfigureAwait(false);
            answered.TrySetResult();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Still not answering: a later probe tries again.
        }
    }

    [LoggerMessage(12, LogLevel.Warning, "The session store stopped answering ({Reason}): calls fail at once while a probe checks Redis every {Interval}.")]
    private static partial void LogOpened(ILogger logger, string reason, TimeSpan interval);

    [LoggerMessage(14, LogLevel.Information, "Session store circuit breaker closed: Redis answers again.")]
    private static partial void LogClosed(ILogger logger);
}
