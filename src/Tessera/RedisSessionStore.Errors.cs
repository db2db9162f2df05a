using System.Diagnostics;
using StackExchange.Redis;

namespace Tessera;

/// <summary>Sending a script within the bound, and what a Redis failure means (unavailable, or a bug).</summary>
public sealed partial class RedisSessionStore
{
    /// <summary>
    /// Runs one script. A script whose replay is harmless (<paramref name="idempotent"/>: load, commit,
    /// delete, index upkeep) is sent once more when the connection dropped under it (a node closing the
    /// socket during a failover or a slot migration), within the same overall bound; creation, rotation
    /// and atomic operations are never replayed, since their first attempt may have run.
    /// </summary>
    /// <remarks>Every script goes through the circuit breaker (<c>RedisSessionStore.Breaker.cs</c>): while Redis is known not to answer it fails at once.</remarks>
    private Task<RedisResult> EvalCoreAsync(string script, RedisKey key, RedisValue[] args, string operation, CancellationToken cancellationToken, bool idempotent = false)
    {
        // A cancelled caller never sends a command: once sent, it would run whatever the caller does.
        cancellationToken.ThrowIfCancellationRequested();
        return GuardAsync(
            static (s, ct) => s.Store.EvalBoundedAsync(s.Script, s.Key, s.Args, s.Operation, s.Idempotent, ct),
            (Store: this, Script: script, Key: key, Args: args, Operation: operation, Idempotent: idempotent),
            operation,
            cancellationToken);
    }

    private async Task<RedisResult> EvalBoundedAsync(string script, RedisKey key, RedisValue[] args, string operation, bool idempotent, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var left = _options.OperationTimeout - Stopwatch.GetElapsedTime(started);
                var db = await _connection.GetDatabaseAsync().ConfigureAwait(false);
                return await db.ScriptEvaluateAsync(script, [key], args)
                    .WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (RedisConnectionException) when (idempotent && attempt == 1 && Stopwatch.GetElapsedTime(started) < _options.OperationTimeout)
            {
                LogReplayed(_logger, operation);
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                throw Unavailable(operation, ex);
            }
        }
    }

    private TesseraUnavailableException Unavailable(string operation, Exception ex)
    {
        _metrics.Errors.Add(1);
        LogUnavailable(_logger, operation, ex);
        // The inner exception's text may name a key; Tessera's own message never copies it.
        return new TesseraUnavailableException($"The session store did not answer the {operation} within {_options.OperationTimeout.TotalSeconds:0.###} s ({Describe(ex)}).", ex);
    }

    /// <summary>A short, key-free description of why Redis did not serve: the error's kind, never its text.</summary>
    /// <param name="ex">The exception.</param>
    /// <returns>For example "timeout" or "server: OOM".</returns>
    internal static string Describe(Exception ex) => ex switch
    {
        RedisTimeoutException or TimeoutException => "timeout",
        RedisConnectionException connection => $"connection: {connection.FailureType}",
        RedisServerException server => $"server: {ErrorPrefix(server.Message)}",
        ObjectDisposedException => "connection disposed",
        _ => ex.GetType().Name,
    };

    private static string ErrorPrefix(string message)
    {
        var end = message.IndexOfAny([' ', ':']);
        var prefix = end < 0 ? message : message[..end];
        return prefix.Length <= 16 && prefix.All(char.IsAsciiLetterUpper) ? prefix : "error";
    }

    /// <summary>Whether an exception means Redis is unreachable or not serving now (as opposed to a bug).</summary>
    internal static bool IsUnavailable(Exception ex) => ex switch
    {
        RedisConnectionException or RedisTimeoutException or TimeoutException or ObjectDisposedException => true,
        RedisServerException server => server.Message.StartsWith("LOADING", StringComparison.Ordinal)
            || server.Message.StartsWith("READONLY", StringComparison.Ordinal)
            || server.Message.StartsWith("BUSY", StringComparison.Ordinal)
            || server.Message.StartsWith("MASTERDOWN", StringComparison.Ordinal)
            || server.Message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || server.Message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
            // Up but refusing writes: min-replicas-to-write unmet, or maxmemory reached under noeviction.
            || server.Message.StartsWith("NOREPLICAS", StringComparison.Ordinal)
            || server.Message.StartsWith("OOM", StringComparison.Ordinal)
            // Persistence failing (stop-writes-on-bgsave-error), credentials or ACL changed under the
            // app, the server full of clients: the server's state, not the caller's bug.
            || server.Message.StartsWith("MISCONF", StringComparison.Ordinal)
            || server.Message.StartsWith("NOPERM", StringComparison.Ordinal)
            || server.Message.StartsWith("NOAUTH", StringComparison.Ordinal)
            || server.Message.StartsWith("WRONGPASS", StringComparison.Ordinal)
            || server.Message.Contains("max number of clients", StringComparison.Ordinal)
            // The same refusal raised inside a script.
            || server.Message.Contains("can't run this command", StringComparison.Ordinal),
        _ => false,
    };
}
