using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using StackExchange.Redis;

namespace Tessera;

/// <summary>
/// The one circuit breaker in front of every Redis call of the store (Polly.Core): scripts
/// (<c>EvalCoreAsync</c>), reads (<c>ReadCoreAsync</c>, the synchronous read), the direct calls the
/// store, the lock and the background refresh make. While it is open a call fails at once with
/// <see cref="TesseraUnavailableException"/>, counted in <c>tessera.circuit.rejected</c>; one call at a
/// time probes, and the first that succeeds closes it.
/// </summary>
public sealed partial class RedisSessionStore
{
    private static readonly TimeSpan MinimumWindow = TimeSpan.FromMilliseconds(500);
    private readonly ResiliencePipeline? _breaker;
    private readonly int _syncTimeoutMs;
    private readonly CircuitBreakerStateProvider? _breakerState;

    /// <summary>The breaker's state (<see cref="CircuitState.Closed"/> when it is turned off).</summary>
    internal CircuitState BreakerState => _breakerState?.CircuitState ?? CircuitState.Closed;

    /// <summary>Whether calls are being refused now (a probe is not due yet, or one is in flight).</summary>
    internal bool BreakerRefusing => _breakerState is { CircuitState: CircuitState.Open or CircuitState.Isolated or CircuitState.HalfOpen };

    private ResiliencePipeline? BuildBreaker(out CircuitBreakerStateProvider? state)
    {
        var options = _options.CircuitBreaker;
        if (options is not { Enabled: true })
        {
            state = null;
            return null;
        }

        state = new CircuitBreakerStateProvider();
        var metrics = _metrics;
        var logger = _logger;
        return new ResiliencePipelineBuilder().AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            FailureRatio = options.FailureRatio,
            MinimumThroughput = options.MinimumThroughput,
            SamplingDuration = options.SamplingDuration ?? (_options.OperationTimeout > MinimumWindow ? _options.OperationTimeout : MinimumWindow),
            BreakDuration = options.BreakDuration,
            StateProvider = state,
            ShouldHandle = static args => new ValueTask<bool>(args.Outcome.Exception is { } ex && CountsAsOutage(ex)),
            OnOpened = args =>
            {
                metrics.CircuitOpened.Add(1);
                LogCircuitOpened(logger, args.BreakDuration, args.Outcome.Exception is { } ex ? Describe(ex is TesseraUnavailableException { InnerException: { } inner } ? inner : ex) : "manual");
                return default;
            },
            OnHalfOpened = _ =>
            {
                LogCircuitHalfOpened(logger);
                return default;
            },
            OnClosed = _ =>
            {
                LogCircuitClosed(logger);
                return default;
            },
        }).Build();
    }

    /// <summary>Runs one Redis call through the breaker; a refusal becomes <see cref="TesseraUnavailableException"/>.</summary>
    /// <typeparam name="T">The result type.</typeparam>
    /// <typeparam name="TState">The call's state (no closure).</typeparam>
    /// <param name="call">The call.</param>
    /// <param name="state">Its state.</param>
    /// <param name="operation">The operation, for the error and the metric.</param>
    /// <param name="cancellationToken">The caller's token.</param>
    /// <returns>The call's result.</returns>
    internal async Task<T> GuardAsync<T, TState>(Func<TState, CancellationToken, Task<T>> call, TState state, string operation, CancellationToken cancellationToken)
    {
        if (_breaker is null)
        {
            return await call(state, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await _breaker.ExecuteAsync(
                static (s, token) => new ValueTask<T>(s.call(s.state, token)),
                (call, state),
                cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            throw Refused(operation, ex);
        }
    }

    /// <summary>A direct command (not a script) through the breaker, within the bound.</summary>
    private Task<T> GuardedRunAsync<T>(Func<IDatabase, Task<T>> operation, string name, CancellationToken cancellationToken) =>
        GuardAsync(static (s, ct) => s.Store.RunUnguardedAsync(s.Operation, s.Name, ct), (Store: this, Operation: operation, Name: name), name, cancellationToken);

    /// <summary>The synchronous twin of <see cref="GuardAsync{T, TState}"/>.</summary>
    private T Guard<T, TState>(Func<TState, T> call, TState state, string operation)
    {
        if (_breaker is null)
        {
            return call(state);
        }

        try
        {
            return _breaker.Execute(static (s, _) => s.call(s.state), (call, state));
        }
        catch (BrokenCircuitException ex)
        {
            throw Refused(operation, ex);
        }
    }

    private TesseraUnavailableException Refused(string operation, BrokenCircuitException ex)
    {
        _metrics.CircuitRejected.Add(1, new KeyValuePair<string, object?>(TesseraTelemetry.OperationTag, operation));
        return new TesseraUnavailableException(
            $"The session store is not answering: the {operation} was refused at once (circuit breaker open) instead of waiting {_options.OperationTimeout.TotalSeconds:0.###} s.", ex);
    }

    /// <summary>
    /// Whether a failure means Redis is not answering (the breaker counts it): a timeout, no
    /// connection, or a server that serves nothing (<c>LOADING</c>, <c>BUSY</c>, <c>MASTERDOWN</c>).
    /// A server that answers but refuses writes (<c>OOM</c>, <c>NOREPLICAS</c>, <c>READONLY</c>,
    /// <c>MISCONF</c>) still serves reads, and a slot being moved (<c>TRYAGAIN</c>) is one slot: neither counts.
    /// </summary>
    /// <param name="ex">The failure.</param>
    /// <returns><see langword="true"/> when it counts.</returns>
    internal static bool CountsAsOutage(Exception ex) => ex switch
    {
        TesseraUnavailableException { InnerException: { } inner } => CountsAsOutage(inner),
        TesseraUnavailableException => true,
        RedisConnectionException or RedisTimeoutException or TimeoutException or ObjectDisposedException => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("BUSY", StringComparison.Ordinal)
            || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal),
        _ => false,
    };

    [LoggerMessage(12, LogLevel.Warning, "Session store circuit breaker opened for {BreakDuration} ({Reason}): calls fail at once until a probe succeeds.")]
    private static partial void LogCircuitOpened(ILogger logger, TimeSpan breakDuration, string reason);

    [LoggerMessage(13, LogLevel.Information, "Session store circuit breaker half-open: one call probes Redis.")]
    private static partial void LogCircuitHalfOpened(ILogger logger);

    [LoggerMessage(14, LogLevel.Information, "Session store circuit breaker closed: Redis answers again.")]
    private static partial void LogCircuitClosed(ILogger logger);
}
