using System.Diagnostics;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;
using Tessera.Internal;

namespace Tessera.Redis;

/// <summary>
/// The one path every Redis call of the store takes, in this order: the breaker (while Redis is known
/// not to answer, fail at once), the time bound (<see cref="TesseraOptions.OperationTimeout"/>, however
/// long the multiplexer's own timeouts), one replay of an idempotent call whose connection dropped, the
/// telemetry (a client span and <c>tessera.operation.duration</c>), and one meaning for a failure
/// (<see cref="RedisFailures.Classify"/>): not answering or out of step opens the breaker and becomes
/// <see cref="TesseraUnavailableException"/>; refused becomes the same without opening it; corrupt data
/// and bugs surface as they are. Replies are checked against the command that waits for them by the
/// connection (<see cref="TesseraConnection.ChecksReplies"/>); commands a server lacks are never sent
/// (<see cref="TesseraConnection.Capabilities"/>). Background calls (the sliding refresh) take the same
/// path and their failures are logged and counted like any other.
/// </summary>
internal sealed partial class RedisGateway
{
    private readonly TesseraConnection _connection;
    private readonly TesseraOptions _options;
    private readonly TesseraMetrics _metrics;
    private readonly ILogger _logger;
    private readonly RedisValue[] _counterLimits;
    private readonly CounterBatcher _bumps;
    private readonly ReadBatcher _reads;
    private volatile EpochPlacement? _placement;

    public RedisGateway(TesseraConnection connection, TesseraOptions options, TesseraMetrics metrics, ILogger logger, TimeProvider time, RedisValue granularityMs)
    {
        _connection = connection;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        Time = time;
        EpochKey = SessionLayout.EveryoneRevokedKey(options.KeyPrefix);
        _counterLimits = [options.MaxSessionBytes, granularityMs, options.MaxSessionFields];
        _bumps = new CounterBatcher(time, options.OperationTimeout, metrics, _counterLimits, EpochKey);
        _reads = new ReadBatcher(options.OperationTimeout, metrics, EpochKey);
        if (options.CircuitBreaker is { Enabled: true } breaker)
        {
            Breaker = new OutageBreaker(
                ProbeAsync,
                breaker.ProbeInterval,
                options.OperationTimeout,
                time,
                metrics,
                logger,
                () => connection.IsDisposed);
        }
    }

    /// <summary>The connection.</summary>
    public TesseraConnection Connection => _connection;

    /// <summary>The "everyone at once" epoch of this store's prefix (<see cref="SessionLayout.EveryoneRevokedKey"/>).</summary>
    public RedisKey EpochKey { get; }

    /// <summary>The clock of every decision that needs one.</summary>
    public TimeProvider Time { get; }

    /// <summary>The breaker, or null when it is turned off.</summary>
    public OutageBreaker? Breaker { get; }

    /// <summary>The breaker's state (closed when it is turned off).</summary>
    public BreakerState BreakerState => Breaker?.State ?? BreakerState.Closed;

    /// <summary>Runs a script.</summary>
    public Task<RedisResult> EvalAsync(string script, RedisKey key, RedisValue[] args, string operation, CancellationToken cancellationToken, bool idempotent = false) =>
        RunAsync(
            operation,
            static (db, s) => db.ScriptEvaluateAsync(s.script, [s.key], s.args),
            (script, key, args),
            cancellationToken,
            idempotent,
            "EVALSHA");

    /// <summary>Runs one call on the path.</summary>
    /// <typeparam name="T">The reply type.</typeparam>
    /// <typeparam name="TState">The call's state (no closure).</typeparam>
    /// <param name="operation">The operation's name, for errors, spans and metrics.</param>
    /// <param name="call">The call.</param>
    /// <param name="state">Its state.</param>
    /// <param name="cancellationToken">The caller's token: a cancelled caller never sends a command.</param>
    /// <param name="idempotent">Whether the call may be sent once more when its connection dropped under it.</param>
    /// <param name="command">The command, for the span.</param>
    /// <returns>The reply.</returns>
    public async Task<T> RunAsync<T, TState>(string operation, Func<IDatabase, TState, Task<T>> call, TState state, CancellationToken cancellationToken, bool idempotent = false, string command = "EVALSHA")
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var activity = TesseraTelemetry.StartCall(operation, command);
        var started = Stopwatch.GetTimestamp();
        try
        {
            RefuseWhileOpen(operation);
            var reply = await BoundedAsync(operation, call, state, idempotent, started, cancellationToken).ConfigureAwait(false);
            Measure(activity, operation, started, null);
            return reply;
        }
        catch (Exception ex)
        {
            Measure(activity, operation, started, ex);
            throw;
        }
    }

    /// <summary>The call's telemetry: <c>tessera.operation.duration</c> and the span's outcome.</summary>
    private void Measure(Activity? activity, string operation, long started, Exception? failure)
    {
        _metrics.RecordOperation(operation, Stopwatch.GetElapsedTime(started), failure);
        if (failure is null)
        {
            activity?.SetTag(TesseraTelemetry.OutcomeTag, "ok");
        }
        else
        {
            TesseraTelemetry.Fail(activity, failure);
        }
    }

    /// <summary>A direct command (not a script) on the path.</summary>
    public Task<T> RunAsync<T>(string operation, Func<IDatabase, Task<T>> call, CancellationToken cancellationToken, bool idempotent = false, string command = "command") =>
        RunAsync(operation, static (db, c) => c(db), call, cancellationToken, idempotent, command);

    private async Task<T> BoundedAsync<T, TState>(string operation, Func<IDatabase, TState, Task<T>> call, TState state, bool idempotent, long started, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var left = _options.OperationTimeout - Stopwatch.GetElapsedTime(started);
                var db = await _connection.GetDatabaseAsync().ConfigureAwait(false);
                return await call(db, state)
                    .WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (RedisConnectionException ex) when (idempotent && attempt == 1
                && RedisFailures.Classify(ex) == RedisFailureKind.Unavailable
                && Stopwatch.GetElapsedTime(started) < _options.OperationTimeout)
            {
                // A node closing its socket (a failover, a slot migration): a harmless call goes once more.
                LogReplayed(_logger, operation);
            }
            catch (Exception ex) when (!(ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                throw Translate(operation, ex);
            }
        }
    }

    /// <summary>The synchronous session load (<c>ISession.TryGetValue</c> before any <c>LoadAsync</c>), on the same path, with the epoch beside it.</summary>
    public (HashEntry[] Reply, long? Epoch) ReadSession(RedisKey key, string operation)
    {
        using var activity = TesseraTelemetry.StartCall(operation, "HGETALL");
        var started = Stopwatch.GetTimestamp();
        try
        {
            RefuseWhileOpen(operation);
            var reply = ReadHashBounded(key, operation, started);
            Measure(activity, operation, started, null);
            return reply;
        }
        catch (Exception ex)
        {
            Measure(activity, operation, started, ex);
            throw;
        }
    }

    private (HashEntry[] Reply, long? Epoch) ReadHashBounded(RedisKey key, string operation, long started)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var connecting = _connection.GetDatabaseAsync();
                var db = connecting.IsCompletedSuccessfully ? connecting.Result : WaitBounded(connecting.AsTask(), started);
                // Never StackExchange.Redis's synchronous API: in 3.x its replies complete on the shared thread
                // pool, and a thread parked in its wait (a monitor) is not seen as blocked, so concurrent
                // synchronous reads starve the completions they wait for (16 at once: 40 of 53 timed out in
                // 10 s on this 2-core box). A Task.Wait on a pool thread makes the pool add a thread at once,
                // and is bounded here whatever the multiplexer's own SyncTimeout.
                return WaitBounded(BesideEpochAsync(db.HashGetAllAsync(key), db, EpochKey), started);
            }
            catch (RedisConnectionException ex) when (attempt == 1
                && RedisFailures.Classify(ex) == RedisFailureKind.Unavailable
                && Stopwatch.GetElapsedTime(started) < _options.OperationTimeout)
            {
                LogReplayed(_logger, operation);
            }
            catch (Exception ex)
            {
                throw Translate(operation, ex);
            }
        }
    }

    /// <summary>Blocks for a task at most what is left of the bound; never longer, whatever the task's own timeout.</summary>
    private T WaitBounded<T>(Task<T> task, long started)
    {
        var left = _options.OperationTimeout - Stopwatch.GetElapsedTime(started);
        bool done;
        try
        {
            done = task.Wait(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
        catch (AggregateException ex) when (ex.InnerException is { } inner)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(inner).Throw();
            throw;
        }

        if (!done)
        {
            // Observed later, so an abandoned reply never becomes an unobserved task exception.
            _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw new TimeoutException($"No reply within {_options.OperationTimeout.TotalSeconds:0.###} s.");
        }

        return task.Result;
    }

    /// <summary>
    /// Sends a call without waiting for it (the sliding refresh): skipped while the breaker is open (the
    /// next read after recovery sends it), and a failure is logged, counted and classified like any other.
    /// </summary>
    public void Send<TState>(string operation, Func<IDatabase, TState, Task> call, TState state, string command = "EVALSHA")
    {
        if (Breaker is { IsOpen: true })
        {
            return;
        }

        _ = SendAsync(operation, call, state, command);
    }

    private async Task SendAsync<TState>(string operation, Func<IDatabase, TState, Task> call, TState state, string command)
    {
        try
        {
            await RunAsync(operation, static async (db, s) => { await s.call(db, s.state).ConfigureAwait(false); return true; }, (call, state), CancellationToken.None, idempotent: false, command).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Translate logged it when Redis did not serve; a bug is logged here, never lost.
            if (RedisFailures.Classify(ex) is RedisFailureKind.Bug or RedisFailureKind.Corrupt)
            {
                _metrics.Errors.Add(1);
                LogBackgroundFailed(_logger, operation, ex);
            }
        }
    }

    private void RefuseWhileOpen(string operation)
    {
        if (Breaker is { IsOpen: true })
        {
            _metrics.CircuitRejected.Add(1, new KeyValuePair<string, object?>(TesseraTelemetry.OperationTag, operation));
            throw new TesseraUnavailableException(
                $"The session store is not answering: the {operation} was refused at once (circuit breaker open) instead of waiting {_options.OperationTimeout.TotalSeconds:0.###} s.");
        }
    }

    /// <summary>What a failure becomes for the caller, with the breaker, the error count and the log on the way.</summary>
    public Exception Translate(string operation, Exception ex)
    {
        var kind = RedisFailures.Classify(ex);
        switch (kind)
        {
            case RedisFailureKind.Unavailable:
            case RedisFailureKind.OutOfStep:
                Breaker?.Trip(ex);
                goto case RedisFailureKind.Refused;
            case RedisFailureKind.Refused:
                if (ex is TesseraUnavailableException already)
                {
                    return already;
                }

                _metrics.Errors.Add(1);
                LogUnavailable(_logger, operation, RedisFailures.Describe(ex), ex);
                // The inner exception's text may name a key; Tessera's own message never copies it.
                return new TesseraUnavailableException($"The session store did not answer the {operation} within {_options.OperationTimeout.TotalSeconds:0.###} s ({RedisFailures.Describe(ex)}).", ex);
            default:
                return ex;
        }
    }

    private async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var db = await _connection.GetDatabaseAsync().ConfigureAwait(false);
        await db.PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(2, LogLevel.Error, "Session store unavailable during {Operation} ({Reason}).")]
    private static partial void LogUnavailable(ILogger logger, string operation, string reason, Exception exception);

    [LoggerMessage(10, LogLevel.Information, "The connection dropped under a {Operation}; it was sent once more.")]
    private static partial void LogReplayed(ILogger logger, string operation);

    [LoggerMessage(15, LogLevel.Error, "A background {Operation} failed; it was not retried.")]
    private static partial void LogBackgroundFailed(ILogger logger, string operation, Exception exception);
}
