using StackExchange.Redis;

namespace Tessera.Redis;

/// <summary>
/// The one place a Redis failure is given a meaning (<see cref="Classify"/>) and a short, key-free
/// name (<see cref="Describe"/> for messages, <see cref="ErrorType"/> for metrics and spans). The
/// breaker, the call path, the health check, the lock and telemetry all ask here.
/// </summary>
internal static class RedisFailures
{
    /// <summary>What <paramref name="ex"/> means.</summary>
    /// <param name="ex">The failure, as thrown by StackExchange.Redis, the bound, or a reply parser.</param>
    /// <returns>Its kind.</returns>
    public static RedisFailureKind Classify(Exception ex) => ex switch
    {
        TesseraUnavailableException { InnerException: { } inner } => Classify(inner),
        TesseraUnavailableException => RedisFailureKind.Unavailable,
        RedisReplyException => RedisFailureKind.OutOfStep,
        CorruptSessionException => RedisFailureKind.Corrupt,
        // StackExchange.Redis's high-integrity check found a reply that was not the token it sent after a command.
        RedisConnectionException { FailureType: ConnectionFailureType.ResponseIntegrityFailure } => RedisFailureKind.OutOfStep,
        InvalidOperationException io when io.Message.Contains("de-sync", StringComparison.Ordinal) => RedisFailureKind.OutOfStep,
        RedisConnectionException or RedisTimeoutException or TimeoutException or ObjectDisposedException => RedisFailureKind.Unavailable,
        RedisServerException server => ClassifyServer(server.Message),
        _ => RedisFailureKind.Bug,
    };

    /// <summary>Whether the request should see the store as unavailable (a 503): every kind but corrupt data and a bug.</summary>
    public static bool IsUnavailable(Exception ex) => Classify(ex) is RedisFailureKind.Unavailable or RedisFailureKind.Refused or RedisFailureKind.OutOfStep;

    /// <summary>Whether the failure says Redis is not answering on this connection (the breaker opens and a probe watches).</summary>
    public static bool IsOutage(Exception ex) => Classify(ex) is RedisFailureKind.Unavailable or RedisFailureKind.OutOfStep;

    private static RedisFailureKind ClassifyServer(string message)
    {
        if (message.StartsWith("LOADING", StringComparison.Ordinal)
            || message.StartsWith("BUSY", StringComparison.Ordinal)
            || message.StartsWith("MASTERDOWN", StringComparison.Ordinal))
        {
            return RedisFailureKind.Unavailable;
        }

        if (message.StartsWith("WRONGTYPE", StringComparison.Ordinal))
        {
            return RedisFailureKind.Corrupt;
        }

        // Tessera never sends a command the server lacks (the capability probe): an unknown-command
        // error is the answer to somebody else's command.
        if (message.StartsWith("ERR unknown command", StringComparison.Ordinal))
        {
            return RedisFailureKind.OutOfStep;
        }

        if (message.StartsWith("READONLY", StringComparison.Ordinal)
            || message.StartsWith("TRYAGAIN", StringComparison.Ordinal)
            || message.StartsWith("CLUSTERDOWN", StringComparison.Ordinal)
            // Up but refusing writes: min-replicas-to-write unmet, or maxmemory reached under noeviction.
            || message.StartsWith("NOREPLICAS", StringComparison.Ordinal)
            || message.StartsWith("OOM", StringComparison.Ordinal)
            // Persistence failing (stop-writes-on-bgsave-error), credentials or ACL changed under the
            // app, the server full of clients: the server's state, not the caller's bug.
            || message.StartsWith("MISCONF", StringComparison.Ordinal)
            || message.StartsWith("NOPERM", StringComparison.Ordinal)
            || message.StartsWith("NOAUTH", StringComparison.Ordinal)
            || message.StartsWith("WRONGPASS", StringComparison.Ordinal)
            || message.Contains("max number of clients", StringComparison.Ordinal)
            // The same refusals raised inside a script.
            || message.Contains("can't run this command", StringComparison.Ordinal))
        {
            return RedisFailureKind.Refused;
        }

        return RedisFailureKind.Bug;
    }

    /// <summary>A short, key-free description of why Redis did not serve: the error's kind, never its text.</summary>
    /// <param name="ex">The exception.</param>
    /// <returns>For example "timeout" or "server: OOM".</returns>
    public static string Describe(Exception ex) => ex switch
    {
        TesseraUnavailableException { InnerException: { } inner } => Describe(inner),
        RedisTimeoutException or TimeoutException => "timeout",
        RedisConnectionException connection => $"connection: {connection.FailureType}",
        RedisServerException server => $"server: {ErrorPrefix(server.Message)}",
        RedisReplyException => "reply out of step",
        InvalidOperationException when Classify(ex) == RedisFailureKind.OutOfStep => "reply out of step",
        ObjectDisposedException => "connection disposed",
        _ => ex.GetType().Name,
    };

    /// <summary>A low-cardinality name for a failure: <c>timeout</c>, <c>connection</c>, the server's error prefix, or the exception's type.</summary>
    /// <param name="exception">The failure.</param>
    /// <returns>The name for <c>error.type</c>.</returns>
    public static string ErrorType(Exception exception) => exception switch
    {
        TesseraUnavailableException { InnerException: { } inner } => ErrorType(inner),
        RedisTimeoutException or TimeoutException => "timeout",
        RedisConnectionException => "connection",
        RedisReplyException => "out_of_step",
        InvalidOperationException when Classify(exception) == RedisFailureKind.OutOfStep => "out_of_step",
        RedisServerException server => ErrorPrefix(server.Message),
        _ => exception.GetType().FullName ?? "error",
    };

    private static string ErrorPrefix(string message)
    {
        var end = message.IndexOfAny([' ', ':']);
        var prefix = end < 0 ? message : message[..end];
        return prefix.Length <= 16 && prefix.All(char.IsAsciiLetterUpper) ? prefix : "error";
    }
}
